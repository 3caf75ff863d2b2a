import { userDatabase } from "../db/databases";
import { forbidden, unauthorized } from "../http/errors";
import { log } from "../lib/log";
import { AUDIT_MS, askConnectAudit } from "./audit";
import type { PrivateEvent } from "./events";
import { HUB_RESUME_EPOCH_HEADER, HUB_RESUME_EXPIRES_HEADER, HUB_RESUME_NONCE_HEADER, HUB_SESSION_HEADER, HUB_USER_HEADER, HUB_VERSION_HEADER } from "./hub-headers";
import { AlarmSchedule } from "./alarm-schedule";
import { PRESENCE_RENEW_MS, Presence } from "./presence";
import { encode, isValidCounter, type ResumeGrant, type ResumeMessage, type UserEventsFrame } from "./protocol";
import { REPLAY_LOG_MIGRATIONS, ReplayLog } from "./replay-log";
import { RESUME_TTL_MS, invalidResume, mintResume, type ResumeClaim } from "./resume";
import { RESUME_EPOCH_MIGRATION, ResumeSpends } from "./resume-spends";
import { SocketRoom, type Admission, type ConnectInfo, type ConnectLog } from "./socket-room";
import { upgradeStorage, type StorageMigration } from "./storage-migrations";
import { broadcaster } from "./stubs";

interface HubAttachment {
  userId: string;
  sessionId: string;
  connectedAt: number;
  /**
   * users.version when the Worker authenticated this socket (the welcome carries it); null for a
   * resumed socket, for which nothing was read from D1 (the audit that follows brings the version).
   */
  accountVersion: number | null;
}

/** Close code for a socket whose session ended (logout, expiry): the SDK does not come back. */
const SESSION_ENDED = 4001;

/** The hub's tables beyond its replay log; append only, run after REPLAY_LOG_MIGRATIONS. */
const HUB_MIGRATIONS: readonly StorageMigration[] = [
  ...REPLAY_LOG_MIGRATIONS,
  {
    name: "spent resume credentials and ended sessions",
    up(sql) {
      // Single use: a credential's nonce is kept until the credential would have expired anyway.
      sql.exec("CREATE TABLE IF NOT EXISTS spent_resumes (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID");
      // A logged-out session's credentials are refused until the last one it was given has expired.
      sql.exec("CREATE TABLE IF NOT EXISTS ended_sessions (session_id TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID");
    },
  },
  RESUME_EPOCH_MIGRATION,
];

const REPLAY_CHUNK = 100;

/** A row when session `?` logged out here and its credentials are still refused at time `?`. */
const SESSION_ENDED_HERE = "SELECT 1 FROM ended_sessions WHERE session_id = ? AND until > ?";

const sessionTag = (sessionId: string) => `session:${sessionId}`;

/**
 * One per user (idFromName(userId)): that user's sockets across tabs and devices, and their event
 * stream, numbered (`seq`) within an `epoch` in a bounded replay log (./replay-log.ts).
 */
export class UserHub extends SocketRoom<HubAttachment, "user"> {
  protected readonly channel = "user";
  private readonly replay: ReplayLog;
  /** The user's socket count at the broadcaster, as a lease (./presence.ts). */
  private readonly presence: Presence;
  /** The one alarm, shared by the audit (./audit.ts) and the presence lease. */
  private readonly alarms: AlarmSchedule;
  /** Which resume credentials this hub has taken (single use without a write per reconnect). */
  private readonly spends: ResumeSpends;

  /** See userId(). */
  private knownUserId: string | undefined;

  /** When the presence lease is due again (memory: after an eviction the next alarm renews it). */
  private leaseDueAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    upgradeStorage(ctx, HUB_MIGRATIONS);
    this.replay = new ReplayLog(ctx.storage.sql);
    this.spends = new ResumeSpends(ctx.storage.sql);
    this.alarms = new AlarmSchedule(ctx.storage);
    this.presence = new Presence(
      this.alarms,
      () => this.sockets().length,
      (sockets) => {
        const userId = this.userId();
        return userId === undefined ? null : broadcaster(env).reportHub(userId, sockets);
      },
      () => ({ userId: this.userId() }),
    );
  }

  /** Numbers, logs and sends the events of one committed mutation: one frame, encoded once. */
  async publish(events: PrivateEvent[]): Promise<void> {
    if (events.length === 0) return;
    const appended = this.replay.append(events);
    const delivered = this.broadcast(encode({ type: "events", channel: "user", ...appended } satisfies UserEventsFrame));
    const seq = appended.events.at(-1)?.seq;
    log("info", "publish", { channel: "user", userId: this.ctx.id.name, events: events.map((e) => e.event), seq, sockets: delivered });
  }

  /** Closes the sockets a revoked session opened (logout), and refuses its resume credentials from now on. */
  async endSession(sessionId: string): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT INTO ended_sessions (session_id, until) VALUES (?, ?) ON CONFLICT (session_id) DO UPDATE SET until = excluded.until",
      sessionId,
      Date.now() + RESUME_TTL_MS,
    );
    const ended = this.closeTagged(sessionTag(sessionId), SESSION_ENDED, "session ended");
    log("info", "session_ended", { channel: "user", userId: this.ctx.id.name, sockets: ended.length });
    if (ended.length > 0) await this.presence.report();
  }

  /**
   * The audit (./audit.ts) while sockets are open, the presence lease every PRESENCE_RENEW_MS, and
   * the lease let go once the last socket is gone (also after a crash).
   */
  override async alarm(): Promise<void> {
    this.alarms.rang();
    const sockets = this.sockets();
    if (sockets.length === 0) return this.presence.report();
    await this.audit(sockets);
    const left = this.sockets().length;
    if (left === 0) return this.presence.report();
    if (Date.now() >= this.leaseDueAt) {
      await this.presence.report();
      this.leaseDueAt = Date.now() + PRESENCE_RENEW_MS;
    }
    // The next audit, unless a connect asked for an earlier one meanwhile.
    await this.alarms.ask(Date.now() + AUDIT_MS);
  }

  /**
   * Only the Worker reaches this, with the identity it authenticated: a session it read from D1
   * (ticket, cookie), or a resume credential whose signature it checked, which is spent here.
   */
  protected admit(request: Request): Admission<HubAttachment> {
    const header = (name: string) => request.headers.get(name);
    const userId = header(HUB_USER_HEADER);
    const sessionId = header(HUB_SESSION_HEADER);
    // Defence in depth: a hub only ever holds sockets of the user it is named after.
    if (!userId || !sessionId || !this.isHubOf(userId)) throw forbidden("Wrong hub.");
    const nonce = header(HUB_RESUME_NONCE_HEADER);
    // A missing expiry is no time at all (NaN), refused as expired; a missing epoch (NaN) is no epoch, refused as stale.
    const claimed = (name: string) => Number(header(name) || Number.NaN);
    if (nonce !== null) return this.admitResumed({ userId, sessionId, nonce, expiresAt: claimed(HUB_RESUME_EXPIRES_HEADER), epoch: claimed(HUB_RESUME_EPOCH_HEADER) });
    const version = Number(header(HUB_VERSION_HEADER));
    const accountVersion = isValidCounter(version) ? version : 0;
    return { attachment: { userId, sessionId, connectedAt: Date.now(), accountVersion }, tags: [sessionTag(sessionId)] };
  }

  protected async onConnect(ws: WebSocket, { request, attachment }: ConnectInfo<HubAttachment>): Promise<ConnectLog> {
    // admit() checked that this is the user's hub.
    this.knownUserId ??= attachment.userId;
    const url = new URL(request.url);
    const since = url.searchParams.get("since");
    const epoch = url.searchParams.get("epoch");
    const resume = await this.mintFor(attachment, Date.now());
    const caughtUp = this.catchUp(ws, since !== null && epoch !== null ? { since: Number(since), epoch } : null, resume);
    // A resumed socket read nothing from D1: its audit comes soon, after the storm it may be part of.
    const at = Date.now();
    const resumed = attachment.accountVersion === null;
    this.ctx.waitUntil(resumed ? askConnectAudit(this.alarms, at) : this.alarms.ask(at + AUDIT_MS));
    this.ctx.waitUntil(this.presence.report());
    // How the socket got in: a resume credential, or a session the Worker read from D1 (ticket, cookie).
    return { auth: resumed ? "resume" : "session", ...caughtUp };
  }

  protected onMessage(ws: WebSocket, message: ResumeMessage, { userId }: HubAttachment): void {
    const caughtUp = this.catchUp(ws, message, undefined);
    log("info", "ws_resume", { channel: "user", userId, ...caughtUp });
  }

  protected async onClose(): Promise<void> {
    await this.presence.report();
  }

  protected logFields(attachment: HubAttachment): Record<string, unknown> {
    return { userId: attachment.userId };
  }

  /** A resumed socket that had nothing to replay is counted, not logged one by one: the way back after a restart. */
  protected override isPlainConnect(fields: ConnectLog): boolean {
    return fields?.auth === "resume" && !("resync" in fields) && (fields.replayed === undefined || fields.replayed === 0);
  }

  /**
   * Brings one socket up to date: replays what it missed after `from`, or tells it to resync when
   * the log cannot cover the gap, then a welcome with the position it now holds. Returns what
   * happened, for the log line of the connect or message that asked.
   */
  private catchUp(ws: WebSocket, from: { since: number; epoch: string } | null, resume: ResumeGrant | null | undefined): Record<string, unknown> {
    let caughtUp: Record<string, unknown> = {};
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
      const outcome = missed.kind === "resync" ? { resync: missed.reason } : { replayed: missed.events.length };
      caughtUp = { since: from.since, seq: position.seq, ...outcome };
    }
    const version = this.attachmentOf(ws).accountVersion;
    this.send(ws, {
      type: "welcome",
      channel: "user",
      epoch: position.epoch,
      seq: position.seq,
      ...(version === null ? {} : { version }),
      ...(resume ? { resume } : {}),
    });
    return caughtUp;
  }

  /** A resume credential the Worker found well signed: unexpired, of a session not ended here, never spent. */
  private admitResumed(claim: ResumeClaim): Admission<HubAttachment> {
    const at = Date.now();
    if (!(claim.expiresAt > at)) throw invalidResume();
    if (this.ctx.storage.sql.exec(SESSION_ENDED_HERE, claim.sessionId, at).toArray().length > 0) throw unauthorized("The session behind this credential ended.");
    // A write per reconnect only for a credential of this instance's own epoch; a storm's are spent
    // in memory. Synchronous, so two connects of this instance cannot both take one credential; the
    // epoch keeps later instances from taking it again (./resume-spends.ts).
    const epoch = this.spends.resumeEpoch();
    const outcome = this.spends.spend(claim, at);
    if (outcome === "used") throw unauthorized("The resume credential was used already. Fetch a ticket.");
    if (outcome === "stale") throw unauthorized("The resume credential is out of date. Fetch a ticket.");
    // Moved on: the other sockets' credentials are now an epoch behind (this socket's welcome has a fresh one).
    if (this.spends.resumeEpoch() !== epoch) this.ctx.waitUntil(this.refreshCredentials(this.sockets()));
    return { attachment: { userId: claim.userId, sessionId: claim.sessionId, connectedAt: at, accountVersion: null }, tags: [sessionTag(claim.sessionId)] };
  }

  /** A fresh resume credential for a socket of `grant`'s session, at this instance's resume epoch. */
  private mintFor(grant: { userId: string; sessionId: string }, at: number): Promise<ResumeGrant | null> {
    return mintResume(this.env, { userId: grant.userId, sessionId: grant.sessionId, epoch: this.spends.resumeEpoch() }, at);
  }

  /** Sends each of `sockets` a fresh credential (one for each: two tabs of a session come back with their own). */
  private async refreshCredentials(sockets: WebSocket[]): Promise<void> {
    const at = Date.now();
    for (const ws of sockets) {
      const resume = await this.mintFor(this.attachmentOf(ws), at);
      if (resume) this.send(ws, { type: "credential", channel: "user", resume });
    }
  }

  /**
   * Whether this is `userId`'s hub, from the id itself: the runtime can start an object without its
   * name (an alarm due across a restart), and the id of idFromName(userId) is the same either way.
   */
  private isHubOf(userId: string): boolean {
    return this.env.USER_HUB.idFromName(userId).equals(this.ctx.id);
  }

  /**
   * Reads the truth from D1 for the open sockets: the account version, and which of their sessions
   * are live. Sockets of ended sessions are closed (4001); every other socket gets the version and a
   * fresh resume credential. A D1 failure is logged and the next alarm tries again.
   */
  private async audit(sockets: WebSocket[]): Promise<void> {
    const userId = this.userId();
    if (userId === undefined) return;
    const at = Date.now();
    const sessionIds = [...new Set(sockets.map((ws) => this.attachmentOf(ws).sessionId))];
    let rows: { session_id: string; version: number }[];
    try {
      const result = await userDatabase(this.env, { userId }).prepare(
        `SELECT s.id AS session_id, u.version AS version FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND s.id IN (${sessionIds.map(() => "?").join(", ")})`,
      )
        .bind(userId, at, ...sessionIds)
        .all<{ session_id: string; version: number }>();
      rows = result.results;
    } catch (err) {
      log("warn", "audit_failed", { channel: "user", userId, error: String(err) });
      return;
    }
    const live = new Map(rows.map((row) => [row.session_id, row.version]));
    for (const sessionId of sessionIds) if (!live.has(sessionId)) this.closeTagged(sessionTag(sessionId), SESSION_ENDED, "session ended");
    for (const ws of sockets) {
      const { sessionId } = this.attachmentOf(ws);
      const version = live.get(sessionId);
      if (version === undefined) continue;
      // One credential per socket, never per session: two tabs of one session each come back with their own.
      const resume = await this.mintFor({ userId, sessionId }, at);
      this.send(ws, { type: "version", channel: "user", version, ...(resume ? { resume } : {}) });
    }
    this.spends.sweep(at);
    this.ctx.storage.sql.exec("DELETE FROM ended_sessions WHERE until <= ?", at);
    // Every 30 s per online user: a line only when the audit changed something.
    const ended = sessionIds.length - live.size;
    if (ended > 0) log("info", "audit_ended_sessions", { channel: "user", userId, sockets: sockets.length, ended });
  }

  /**
   * The user this hub is named after. The runtime can start an object without its name (an alarm
   * due across a restart); then its sockets say, and once one has, this instance remembers it (the
   * last socket's close still reports the zero). A nameless hub that never held a socket has
   * nobody to report.
   */
  private userId(): string | undefined {
    this.knownUserId ??= this.ctx.id.name ?? this.sockets().map((ws) => this.attachmentOf(ws).userId)[0];
    return this.knownUserId;
  }
}
