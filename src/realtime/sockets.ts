import { ApiError } from "../http/errors";
import { log } from "../lib/log";

/**
 * Helpers shared by the socket-holding Durable Objects (UserHub, LobbyShard).
 * Both hold hibernatable sockets, so nothing here keeps per-socket state in memory.
 */

/** Sends one already-encoded frame to every socket; returns how many took it. */
export function sendToAll(sockets: WebSocket[], frame: string, scope: Record<string, unknown>): number {
  let delivered = 0;
  for (const ws of sockets) {
    if (trySend(ws, frame)) delivered++;
    else {
      // A socket that throws on send is dead; closing it lets the runtime run the end-of-socket path.
      log("warn", "ws_send_failed", scope);
      closeQuietly(ws, 1011, "send failed");
    }
  }
  return delivered;
}

export function trySend(ws: WebSocket, frame: string): boolean {
  try {
    ws.send(frame);
    return true;
  } catch {
    return false;
  }
}

/** Closing an already closing or broken socket throws; at the end of a socket that is no error. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}

/** The close code to answer with: the peer's own when it may be sent back (1000, 3000–4999), else 1000. */
export function echoableCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

/** Sockets still worth counting: accepted and not yet closing, minus the one being ended. */
export function openSockets(all: WebSocket[], ending?: WebSocket): WebSocket[] {
  return all.filter((ws) => ws !== ending && ws.readyState === WebSocket.OPEN);
}

/** The one "not a WebSocket upgrade" error, thrown by the Worker's routes and returned by the objects. */
export const upgradeRequired = () => new ApiError(426, "upgrade_required", "Expected a WebSocket upgrade.", undefined, { upgrade: "websocket" });

export const isUpgrade = (request: Request) => request.headers.get("upgrade")?.toLowerCase() === "websocket";
