// The restart-storm ceiling: the least a runtime does for the reconnect bench's SDK clients to come
// back. A ticket is the client's token, base64url-encoded (no session read, no D1 write); a private
// socket goes to a bare Durable Object per player (`idFromName` of the key carried by the ticket or
// the resume credential), a lobby socket to one bare lobby object; each accepts with the
// Hibernation API, answers the SDK's heartbeat with an auto-response, and sends one welcome. The
// credential has the product's shape (`<payload>.<43 chars>`, src/realtime/resume.ts) and carries
// the player key, so a resumed connect finds the same object, but it is neither signed, checked
// nor spent. Nothing else: no D1, no storage, no presence, no audit, no replay, no logs.
import { DurableObject } from "cloudflare:workers";
import { fromBase64Url, toBase64Url } from "../../../src/lib/crypto";
import { PING, PONG, type LobbyWelcome, type UserWelcome } from "../../../src/realtime/protocol";

interface CeilingEnv {
  HUB: DurableObjectNamespace<Hub>;
  LOBBY: DurableObjectNamespace<Lobby>;
}

/** The player key, from the Worker to the hub (a request built from scratch: no client header gets through). */
const PLAYER_HEADER = "x-ceiling-player";
/** In the place of the product's HMAC-SHA-256 signature (32 bytes, base64url): the shape, unsigned. */
const UNSIGNED = "A".repeat(43);
/** Keeps a short key's payload at the 20 characters the product's credential pattern asks for. */
const PREFIX = "ceiling-storm:";
const RESUME_TTL_MS = 120_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The text a ticket or credential payload carries, or null for anything that is not base64url text. */
function textOf(encoded: string): string | null {
  try {
    return decoder.decode(fromBase64Url(encoded));
  } catch {
    return null;
  }
}

const ticketOf = (token: string): string => toBase64Url(encoder.encode(PREFIX + token));
const credentialOf = (key: string): string => `${toBase64Url(encoder.encode(PREFIX + key))}.${UNSIGNED}`;

/** The player key a ticket or a credential carries, or null when it carries none. */
function keyOf(url: URL): string | null {
  const resume = url.searchParams.get("resume");
  const encoded = resume !== null ? resume.split(".")[0] : url.searchParams.get("ticket");
  const text = encoded ? textOf(encoded) : null;
  return text !== null && text.startsWith(PREFIX) && text.length > PREFIX.length ? text.slice(PREFIX.length) : null;
}

/** Accepts hibernatable sockets, each sent one frame; the heartbeat never wakes the object. */
abstract class BareSockets extends DurableObject<CeilingEnv> {
  constructor(ctx: DurableObjectState, env: CeilingEnv) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  protected accept(welcome: string): Response {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].send(welcome);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(): Promise<void> {}
  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, "bye");
    } catch {}
  }
}

export class Hub extends BareSockets {
  override async fetch(request: Request): Promise<Response> {
    const key = request.headers.get(PLAYER_HEADER);
    if (key === null) return new Response("no player", { status: 400 });
    const welcome: UserWelcome = { type: "welcome", channel: "user", epoch: "ceiling", seq: 0, resume: { credential: credentialOf(key), expiresAt: Date.now() + RESUME_TTL_MS } };
    return this.accept(JSON.stringify(welcome));
  }
}

const LOBBY_WELCOME = JSON.stringify({ type: "welcome", channel: "lobby", catalogVersion: 0 } satisfies LobbyWelcome);

export class Lobby extends BareSockets {
  override async fetch(): Promise<Response> {
    return this.accept(LOBBY_WELCOME);
  }
}

const isUpgrade = (request: Request): boolean => request.headers.get("upgrade")?.toLowerCase() === "websocket";

export default {
  async fetch(request: Request, env: CeilingEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname === "/api/realtime/ticket" && request.method === "POST") {
      const token = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
      if (!token) return new Response("no token", { status: 401 });
      return Response.json({ ticket: ticketOf(token), expiresAt: Date.now() + RESUME_TTL_MS }, { status: 201 });
    }
    if (url.pathname === "/ws/user" && isUpgrade(request)) {
      const key = keyOf(url);
      if (key === null) return new Response("no ticket", { status: 401 });
      return env.HUB.get(env.HUB.idFromName(key)).fetch(new Request("https://hub/connect", { headers: { upgrade: "websocket", [PLAYER_HEADER]: key } }));
    }
    if (url.pathname === "/ws/lobby" && isUpgrade(request)) {
      return env.LOBBY.get(env.LOBBY.idFromName("lobby")).fetch(new Request("https://lobby/connect", { headers: { upgrade: "websocket" } }));
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<CeilingEnv>;
