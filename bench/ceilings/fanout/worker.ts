// The fan-out ceiling: sockets accepted with the Hibernation API, and one RPC that sends one
// pre-encoded string (the size of a `cases:updated` frame, or `?bytes=` long to match a bigger
// frame such as a battle round's) to every socket. Nothing else.
// `?room=<name>` picks another object: bench/private-latency.mjs holds idle sockets on "global" and
// one socket on "private", whose /send is the bare private path (HTTP → Worker → RPC → one socket).
import { DurableObject } from "cloudflare:workers";

interface CeilingEnv {
  ROOM: DurableObjectNamespace<Room>;
}

const FRAME = JSON.stringify({
  type: "events",
  events: [{ event: "cases:updated", data: { version: 123456, caseId: "00000000-0000-4000-8000-000000000000", action: "updated" } }],
});

const padded = new Map<number, string>();

/** The frame, padded to about `bytes` (encoded once per size, as the product encodes a frame once). */
function frameOf(bytes: number): string {
  if (bytes <= FRAME.length) return FRAME;
  let frame = padded.get(bytes);
  if (!frame) {
    const pad = "x".repeat(bytes - FRAME.length - ',"pad":""'.length);
    frame = JSON.stringify({ type: "events", events: [{ event: "cases:updated", data: { version: 123456, caseId: "00000000-0000-4000-8000-000000000000", action: "updated", pad } }] });
    padded.set(bytes, frame);
  }
  return frame;
}

export class Room extends DurableObject<CeilingEnv> {
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade") !== "websocket") return new Response("expected a websocket", { status: 426 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  async send(bytes = 0): Promise<number> {
    const frame = frameOf(bytes);
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) {
      try {
        ws.send(frame);
      } catch {
        // a dead socket never aborts a send
      }
    }
    return sockets.length;
  }

  async count(): Promise<number> {
    return this.ctx.getWebSockets().length;
  }

  override async webSocketMessage(): Promise<void> {}
  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, "bye");
    } catch {}
  }
}

export default {
  async fetch(request: Request, env: CeilingEnv): Promise<Response> {
    const url = new URL(request.url);
    const room = env.ROOM.get(env.ROOM.idFromName(url.searchParams.get("room") ?? "global"));
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname === "/ws") return room.fetch(request);
    if (url.pathname === "/send" && request.method === "POST") return Response.json({ sent: await room.send(Number(url.searchParams.get("bytes") ?? 0) || 0) });
    if (url.pathname === "/count") return Response.json({ sockets: await room.count() });
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<CeilingEnv>;
