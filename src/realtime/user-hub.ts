import { forbidden } from "../http/errors";
import { log } from "../lib/log";
import type { PrivateEvent } from "./events";
import { HUB_SESSION_HEADER, HUB_USER_HEADER, HUB_VERSION_HEADER } from "./hub-headers";
import { reportPresence } from "./presence";
import { encode, isValidCounter, type ResumeMessage, type UserEventsFrame } from "./protocol";
import { REPLAY_LOG_MIGRATIONS, ReplayLog } from "./replay-log";
import { SocketRoom, type Admission, type CloseInfo, type ConnectInfo } from "./socket-room";
import { upgradeStorage } from "./storage-migrations";
import { broadcaster } from "./stubs";

interface HubAttachment {
  userId: string;
  sessionId: string;
  connectedAt: number;
  /** users.version when the Worker authenticated this socket; the welcome carries it. */
  accountVersion: number;
}

const REPLAY_CHUNK = 100;

const sessionTag = (sessionId: string) => `session:${sessionId}`;

/**
 * One per user (idFromName(userId)): that user's sockets across tabs and devices, and their event
 * stream, numbered (`seq`) within an `epoch` in a bounded replay log (./replay-log.ts).
 */
export class UserHub extends SocketRoom<HubAttachment, "user"> {
  protected readonly channel = "user";
  private readonly replay: ReplayLog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    upgradeStorage(ctx, REPLAY_LOG_MIGRATIONS);
    this.replay = new ReplayLog(ctx.storage.sql);
  }

  /** Numbers, logs and sends the events of one committed mutation: one frame, encoded once. */
  async publish(events: PrivateEvent[]): Promise<void> {
    if (events.length === 0) return;
    const appended = this.replay.append(events);
    const delivered = this.broadcast(encode({ type: "events", channel: "user", ...appended } satisfies UserEventsFrame));
    const seq = appended.events.at(-1)?.seq;
    log("info", "publish", { channel: "user", userId: this.ctx.id.name, events: events.map((e) => e.event), seq, sockets: delivered });
  }

  /** Closes the sockets a revoked session opened (logout). */
  async endSession(sessionId: string): Promise<void> {
    const ended = this.closeTagged(sessionTag(sessionId), 4001, "session ended");
    log("info", "session_ended", { channel: "user", userId: this.ctx.id.name, sockets: ended.length });
    if (ended.length > 0) await this.reportPresence(this.sockets().length);
  }

  /** Renews the presence lease, or lets it lapse once the last socket is gone (also after a crash). */
  override async alarm(): Promise<void> {
    await this.reportPresence(this.sockets().length);
  }

  /** Only the Worker reaches this, after it authenticated the user. */
  protected admit(request: Request): Admission<HubAttachment> {
    const userId = request.headers.get(HUB_USER_HEADER);
    const sessionId = request.headers.get(HUB_SESSION_HEADER);
    // Defence in depth: a hub only ever holds sockets of the user it is named after.
    if (!userId || !sessionId || (this.ctx.id.name !== undefined && this.ctx.id.name !== userId)) throw forbidden("Wrong hub.");
    const version = Number(request.headers.get(HUB_VERSION_HEADER));
    const accountVersion = isValidCounter(version) ? version : 0;
    return { attachment: { userId, sessionId, connectedAt: Date.now(), accountVersion }, tags: [sessionTag(sessionId)] };
  }

  protected onConnect(ws: WebSocket, { request, sockets }: ConnectInfo<HubAttachment>): void {
    const url = new URL(request.url);
    const since = url.searchParams.get("since");
    const epoch = url.searchParams.get("epoch");
    this.catchUp(ws, since !== null && epoch !== null ? { since: Number(since), epoch } : null);
    this.ctx.waitUntil(this.reportPresence(sockets));
  }

  protected onMessage(ws: WebSocket, message: ResumeMessage): void {
    this.catchUp(ws, message);
  }

  protected async onClose(_ws: WebSocket, { sockets }: CloseInfo<HubAttachment>): Promise<void> {
    await this.reportPresence(sockets);
  }

  protected logFields(attachment: HubAttachment): Record<string, unknown> {
    return { userId: attachment.userId };
  }

  /**
   * Brings one socket up to date: replays what it missed after `from`, or tells it to resync when
   * the log cannot cover the gap, then a welcome with the position it now holds.
   */
  private catchUp(ws: WebSocket, from: { since: number; epoch: string } | null): void {
    const position = this.replay.position();
    if (from) {
      const missed = this.replay.after(from);
      if (missed.kind === "resync") {
        this.send(ws, { type: "resync", channel: "user", reason: missed.reason });
      } else {
        // Chunked so that no frame approaches the runtime's 1 MiB message limit.
        for (let i = 0; i < missed.events.length; i += REPLAY_CHUNK) {
          this.send(ws, { type: "events", channel: "user", epoch: position.epoch, events: missed.events.slice(i, i + REPLAY_CHUNK) });
        }
      }
      const outcome = missed.kind === "resync" ? { reason: missed.reason } : { replayed: missed.events.length };
      const userId = this.attachmentOf(ws).userId;
      log("info", missed.kind === "resync" ? "resync" : "resume", { channel: "user", userId, since: from.since, seq: position.seq, ...outcome });
    }
    const version = this.attachmentOf(ws).accountVersion;
    this.send(ws, { type: "welcome", channel: "user", epoch: position.epoch, seq: position.seq, version });
  }

  /** The user's socket count, as a lease (./presence.ts). */
  private async reportPresence(sockets: number): Promise<void> {
    // A hub is named after its user; alarms set before the runtime passed names to alarm() have no name.
    const userId = this.ctx.id.name ?? this.sockets().map((ws) => this.attachmentOf(ws).userId)[0];
    if (userId === undefined) return;
    await reportPresence(this.ctx.storage, sockets, () => broadcaster(this.env).reportHub(userId, sockets), { userId });
  }
}
