import { DurableObject } from "cloudflare:workers";
import { errorResponse } from "../http/errors";
import { log } from "../lib/log";
import { PING, PONG, encode, readClientFrame, type Channel, type ClientMessages, type ServerMessage } from "./protocol";
import { isUpgrade, upgradeRequired } from "./sockets";

/** What {@link SocketRoom.admit} lets in: the socket's attachment and the tags to find it by. */
export interface Admission<A> {
  attachment: A;
  tags?: string[];
}

export interface ConnectInfo<A> {
  request: Request;
  attachment: A;
}

/** Fields a room adds to a connect's log line; nothing to add is fine. */
export type ConnectLog = Record<string, unknown> | void;

export interface CloseInfo<A> {
  attachment: A;
  code: number;
  reason: string;
  /** Set when the socket failed rather than closed. */
  error?: string;
}

/**
 * Close codes the runtime reports when no close frame arrived (none sent, connection lost, TLS
 * failure). The peer is gone: a close() now succeeds, then fails later on the dead transport as an
 * unhandled rejection, so there is nothing to answer.
 */
const NO_CLOSE_FRAME = new Set([1005, 1006, 1015]);

/** How often a room logs its count of plain connects (see SocketRoom.isPlainConnect). */
export const CONNECT_TALLY_MS = 1_000;

/**
 * The lifecycle every socket-holding Durable Object shares, with the Hibernation API: accept,
 * attachments, the auto-answered heartbeat, refused frames, broadcasts, and one end-of-socket path
 * for close and error. A room implements the hooks and keeps only what is its own.
 *
 * Hibernation: nothing per socket lives in memory. What a room knows of a socket is its attachment
 * (serialized at accept, and again by a room whenever it changes it) and its tags, both read back
 * from `ctx.getWebSockets()` after a wake.
 * The base never touches alarms: `alarm()` is the room's own (presence leases, a game's schedule).
 *
 * @typeParam A the attachment kept on each socket
 * @typeParam C the channel the room's sockets speak; messages of other channels are refused
 */
export abstract class SocketRoom<A extends object, C extends Channel> extends DurableObject<Env> {
  protected abstract readonly channel: C;
  /**
   * Whether a connect's log fields say nothing that a count would not (hubs: a resumed socket with
   * nothing to replay; shards: a socket that caught up with nothing). Those are counted in one
   * `ws_connects` line per CONNECT_TALLY_MS instead of a `ws_connect` line each: a restart's storm
   * brings hundreds of them back within a second, and a line each is work on the runtime's busiest
   * thread and a billed event in Workers Logs that says nothing the count does not. Every other
   * connect (a ticket or cookie, a replay, a resync) keeps its own line. By default none is plain.
   */
  protected isPlainConnect(_fields: ConnectLog): boolean {
    return false;
  }
  /** Sockets whose end ran in this instance (memory is enough: after a wake they are gone). */
  private readonly ended = new WeakSet<WebSocket>();
  /** Plain connects since the last `ws_connects` line (see isPlainConnect). */
  private tallied = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // The runtime answers heartbeats itself, so a ping never wakes a hibernated room.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** Decides whether `request` may open a socket here, before it is accepted. Throw an ApiError to refuse. */
  protected abstract admit(request: Request): Admission<A> | Promise<Admission<A>>;
  /**
   * After accept. Frames sent now are queued and reach the client right after the handshake. What it
   * returns goes into the socket's `ws_connect` log line (how it caught up), or into the room's count
   * of plain connects when {@link isPlainConnect} says it is one.
   */
  protected abstract onConnect(ws: WebSocket, info: ConnectInfo<A>): ConnectLog | Promise<ConnectLog>;
  /** A well-formed message of this room's channel; every other frame was refused with an error frame. */
  protected abstract onMessage(ws: WebSocket, message: ClientMessages[C], attachment: A): void | Promise<void>;
  /** The end of a socket, closed or failed. */
  protected abstract onClose(ws: WebSocket, info: CloseInfo<A>): void | Promise<void>;
  /** What names this room, or a socket's owner, in its log lines. */
  protected abstract logFields(attachment: A): Record<string, unknown>;

  /** Accepts a socket: only WebSocket upgrades, and only what {@link admit} lets in. */
  override async fetch(request: Request): Promise<Response> {
    if (!isUpgrade(request)) return errorResponse(upgradeRequired());
    let admission: Admission<A>;
    try {
      admission = await this.admit(request);
    } catch (err) {
      return errorResponse(err, request);
    }
    const { attachment, tags } = admission;
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, tags);
    server.serializeAttachment(attachment);
    // No count of the room's sockets here: on a lobby shard that is a walk over thousands of them,
    // per connect (rooms count when they report: ./presence.ts).
    const caughtUp = await this.onConnect(server, { request, attachment });
    this.logConnect(attachment, caughtUp);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const attachment = this.attachmentOf(ws);
    const frame = readClientFrame(raw, this.channel);
    if ("message" in frame) {
      await this.onMessage(ws, frame.message, attachment);
      return;
    }
    log("warn", "ws_refused_frame", { channel: this.channel, ...this.logFields(attachment), code: frame.refused.code });
    this.send(ws, frame.refused);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.end(ws, { code, reason });
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    await this.end(ws, { code: 1011, reason: "error", error: String(error) });
  }

  /** Sends one frame to one socket; false when the socket is past sending. */
  protected send(ws: WebSocket, message: ServerMessage): boolean {
    return trySend(ws, encode(message));
  }

  /** Sends one frame encoded already (one that many sockets get, encoded once) to one socket. */
  protected sendEncoded(ws: WebSocket, frame: string): boolean {
    return trySend(ws, frame);
  }

  /**
   * Sends one already-encoded frame to every socket (or those tagged `tag`), so N sockets cost one
   * encode. A socket that throws is closed (1011), which runs its end of socket, and the rest still
   * get the frame. Returns how many took it.
   */
  protected broadcast(frame: string, tag?: string): number {
    let delivered = 0;
    for (const ws of this.ctx.getWebSockets(tag)) {
      if (trySend(ws, frame)) {
        delivered++;
      } else {
        log("warn", "ws_send_failed", { channel: this.channel, ...this.logFields(this.attachmentOf(ws)) });
        closeQuietly(ws, 1011, "send failed");
      }
    }
    return delivered;
  }

  /** Closes the sockets tagged `tag` and returns them. */
  protected closeTagged(tag: string, code: number, reason: string): WebSocket[] {
    const sockets = this.ctx.getWebSockets(tag);
    for (const ws of sockets) closeQuietly(ws, code, reason);
    return sockets;
  }

  /**
   * Sockets still worth counting: accepted, not closing, and not ended here (a socket whose end ran
   * can still read as open: a lost connection, an error). O(sockets): not for every socket event.
   */
  protected sockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN && !this.ended.has(ws));
  }

  protected attachmentOf(ws: WebSocket): A {
    // Only fetch() writes attachments, and a deploy ends every socket, so each has the shape this code wrote.
    return ws.deserializeAttachment() as A;
  }

  private logConnect(attachment: A, caughtUp: ConnectLog): void {
    if (!this.isPlainConnect(caughtUp)) {
      log("info", "ws_connect", { channel: this.channel, ...this.logFields(attachment), ...caughtUp });
      return;
    }
    // The first plain connect of a burst starts its count; the line goes out when the burst's time
    // is up. The rest only count: nothing is built per socket.
    if (this.tallied++ > 0) return;
    this.ctx.waitUntil(
      scheduler.wait(CONNECT_TALLY_MS).then(() => {
        const sockets = this.tallied;
        this.tallied = 0;
        log("info", "ws_connects", { channel: this.channel, ...this.logFields(attachment), sockets });
      }),
    );
  }

  private async end(ws: WebSocket, details: { code: number; reason: string; error?: string }): Promise<void> {
    this.ended.add(ws);
    // Answer the peer's close frame with its own code where that may be sent back. (Since the
    // web_socket_auto_reply_to_close compatibility date the runtime has answered a clean close
    // already, and this close is a no-op.)
    if (!NO_CLOSE_FRAME.has(details.code)) closeQuietly(ws, echoableCode(details.code), details.reason);
    const attachment = this.attachmentOf(ws);
    log("info", "ws_disconnect", { channel: this.channel, ...this.logFields(attachment), ...details });
    await this.onClose(ws, { attachment, ...details });
  }
}

function trySend(ws: WebSocket, frame: string): boolean {
  try {
    ws.send(frame);
    return true;
  } catch {
    return false;
  }
}

/** Closing an already closing or broken socket throws; at the end of a socket that is no error. */
function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}

/** The close code to answer with: the peer's own when it may be sent back (1000, 3000–4999), else 1000. */
function echoableCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}
