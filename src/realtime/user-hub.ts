import { DurableObject } from "cloudflare:workers";
import { errorResponse } from "../http/errors";
import { log } from "../lib/log";
import type { PrivateEvent } from "./events";
import { PING, PONG, encode, parseClientMessage, refusal, type ServerMessage, type UserEventsFrame } from "./protocol";
import { HUB_SESSION_HEADER, HUB_USER_HEADER } from "./hub-headers";
import { broadcaster } from "./stubs";
import { REPLAY_LOG_MIGRATIONS, ReplayLog } from "./replay-log";
import { upgradeStorage } from "./storage-migrations";
import { closeQuietly, echoableCode, isUpgrade, openSockets, sendToAll, trySend, upgradeRequired } from "./sockets";

/** Kept on each socket with serializeAttachment, so it survives hibernation. */
export interface SocketAttachment {
  userId: string;
  sessionId: string;
  connectedAt: number;
}

const REPLAY_CHUNK = 100;
/** Presence reports are leases: renewed this often while sockets are open, see {@link UserHub.alarm}. */
export const PRESENCE_RENEW_MS = 10 * 60_000;

export const sessionTag = (sessionId: string) => `session:${sessionId}`;

function readAttachment(ws: WebSocket): SocketAttachment | null {
  const value: unknown = ws.deserializeAttachment();
  if (typeof value !== "object" || value === null) return null;
  const { userId, sessionId, connectedAt } = value as Record<string, unknown>;
  return typeof userId === "string" && typeof sessionId === "string" && typeof connectedAt === "number"
    ? { userId, sessionId, connectedAt }
    : null;
}

/**
 * One per user (idFromName(userId)): that user's sockets across tabs and devices, and their event
 * stream, numbered (`seq`) within an `epoch` in a bounded replay log (./replay-log.ts).
 */
export class UserHub extends DurableObject<Env> {
  private readonly replay: ReplayLog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    upgradeStorage(ctx, REPLAY_LOG_MIGRATIONS);
    this.replay = new ReplayLog(ctx.storage.sql);
    // The runtime answers heartbeats itself, so a ping never wakes a hibernated hub.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** Accepts a private socket. Only the Worker reaches this, after it authenticated the user. */
  override async fetch(request: Request): Promise<Response> {
    if (!isUpgrade(request)) return errorResponse(upgradeRequired());
    const userId = request.headers.get(HUB_USER_HEADER);
    const sessionId = request.headers.get(HUB_SESSION_HEADER);
    // Defence in depth: a hub only ever holds sockets of the user it is named after.
    if (!userId || !sessionId || (this.ctx.id.name !== undefined && this.ctx.id.name !== userId)) {
      return Response.json({ error: { code: "forbidden", message: "Wrong hub." } }, { status: 403 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [sessionTag(sessionId)]);
    server.serializeAttachment({ userId, sessionId, connectedAt: Date.now() } satisfies SocketAttachment);

    const url = new URL(request.url);
    const since = url.searchParams.get("since");
    const epoch = url.searchParams.get("epoch");
    const resumeFrom = since !== null && epoch !== null ? { since: Number(since), epoch } : null;
    const sockets = openSockets(this.ctx.getWebSockets()).length;
    log("info", "ws_connect", { channel: "user", userId, sockets, resume: resumeFrom !== null });
    // Frames sent before the 101 is returned are queued and delivered right after the handshake.
    this.catchUp(server, userId, resumeFrom);
    this.ctx.waitUntil(this.reportPresence(userId, sockets));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Numbers, logs and sends the events of one committed mutation: one frame, encoded once. */
  async publish(events: PrivateEvent[]): Promise<void> {
    if (events.length === 0) return;
    const appended = this.replay.append(events);
    const frame = encode({ type: "events", channel: "user", ...appended } satisfies UserEventsFrame);
    const delivered = sendToAll(this.ctx.getWebSockets(), frame, { channel: "user" });
    const seq = appended.events.at(-1)?.seq;
    log("info", "publish", { channel: "user", userId: this.ctx.id.name, events: events.map((e) => e.event), seq, sockets: delivered });
  }

  /** Closes the sockets a revoked session opened (logout). */
  async endSession(sessionId: string): Promise<void> {
    const sockets = this.ctx.getWebSockets(sessionTag(sessionId));
    for (const ws of sockets) closeQuietly(ws, 4001, "session ended");
    const userId = sockets.map(readAttachment).find((a) => a !== null)?.userId;
    log("info", "session_ended", { channel: "user", userId, sockets: sockets.length });
    if (userId) await this.reportPresence(userId, openSockets(this.ctx.getWebSockets()).length);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // Only reached when the auto-response is not in place (it answers PING without waking us).
    if (message === PING) {
      trySend(ws, PONG);
      return;
    }
    const parsed = parseClientMessage(message);
    const attachment = readAttachment(ws);
    if (parsed?.type === "resume" && attachment) {
      this.catchUp(ws, attachment.userId, { since: parsed.since, epoch: parsed.epoch });
      return;
    }
    const error = parsed
      ? ({ type: "error", code: "wrong_channel", message: `"${parsed.type}" is a lobby message.` } satisfies ServerMessage)
      : refusal(message);
    log("warn", "ws_refused_frame", { channel: "user", userId: attachment?.userId, code: error.code });
    trySend(ws, encode(error));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.end(ws, { code, reason });
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    await this.end(ws, { code: 1011, reason: "error", error: String(error) });
  }

  /** Renews the presence lease, or lets it lapse once the last socket is gone (also after a crash). */
  override async alarm(): Promise<void> {
    const sockets = openSockets(this.ctx.getWebSockets());
    const userId = sockets.map(readAttachment).find((a) => a !== null)?.userId;
    if (userId) await this.reportPresence(userId, sockets.length);
    else if (this.ctx.id.name) await this.reportPresence(this.ctx.id.name, 0);
  }

  /** The one end-of-socket path, for clean closes and errors alike. */
  private async end(ws: WebSocket, details: { code: number; reason: string; error?: string }): Promise<void> {
    closeQuietly(ws, echoableCode(details.code), details.reason);
    const attachment = readAttachment(ws);
    const sockets = openSockets(this.ctx.getWebSockets(), ws).length;
    log("info", "ws_disconnect", { channel: "user", userId: attachment?.userId, ...details, sockets });
    if (attachment) await this.reportPresence(attachment.userId, sockets);
  }

  /**
   * Brings one socket up to date: replays what it missed after `from`, or tells it to resync when
   * the log cannot cover the gap, then a welcome with the position it now holds.
   */
  private catchUp(ws: WebSocket, userId: string, from: { since: number; epoch: string } | null): void {
    const position = this.replay.position();
    if (from) {
      const missed = this.replay.after(from);
      if (missed.kind === "resync") {
        trySend(ws, encode({ type: "resync", channel: "user", reason: missed.reason }));
      } else {
        // Chunked so that no frame approaches the runtime's 1 MiB message limit.
        for (let i = 0; i < missed.events.length; i += REPLAY_CHUNK) {
          const events = missed.events.slice(i, i + REPLAY_CHUNK);
          trySend(ws, encode({ type: "events", channel: "user", epoch: position.epoch, events }));
        }
      }
      const outcome = missed.kind === "resync" ? { reason: missed.reason } : { replayed: missed.events.length };
      log("info", missed.kind === "resync" ? "resync" : "resume", { channel: "user", userId, since: from.since, seq: position.seq, ...outcome });
    }
    trySend(ws, encode({ type: "welcome", channel: "user", epoch: position.epoch, seq: position.seq }));
  }

  /**
   * Tells the broadcaster how many sockets this user has, so /health and the online count never
   * wake a hub. A lease alarm re-reports while sockets stay open, in case this hub dies silently.
   */
  private async reportPresence(userId: string, sockets: number): Promise<void> {
    try {
      await broadcaster(this.env).reportHub(userId, sockets);
    } catch (err) {
      log("warn", "presence_report_failed", { userId, error: String(err) });
    }
    if (sockets > 0) {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PRESENCE_RENEW_MS);
    } else {
      await this.ctx.storage.deleteAlarm();
    }
  }
}
