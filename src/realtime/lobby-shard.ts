import { catalogDatabase } from "../db/databases";
import { badRequest } from "../http/errors";
import { log } from "../lib/log";
import type { ShardDelivery, ShardSeed } from "./broadcaster";
import type { Drop } from "./events";
import { parseDrops } from "./held-drops";
import { AUDIT_MS, askConnectAudit } from "./audit";
import { AlarmSchedule } from "./alarm-schedule";
import { PRESENCE_RENEW_MS, Presence } from "./presence";
import { encode, isValidCounter, type LobbyEventsFrame, type LobbyVersionFrame, type ResumeLobbyMessage } from "./protocol";
import { SocketRoom, type Admission, type ConnectInfo, type ConnectLog } from "./socket-room";
import { upgradeStorage, type StorageMigration } from "./storage-migrations";
import { broadcaster, shardIndexFor } from "./stubs";

/** Lobby sockets are anonymous by design. */
interface LobbyAttachment {
  connectedAt: number;
}

/** Catalogue changes kept for lobby resume: more than this missed and the client refetches /api/cases. */
export const CATALOG_LOG_LIMIT = 100;
/**
 * Sockets sent to between two yields of a broadcast. Objects that share the shard's thread (all of
 * them locally, those colocated in its isolate on Cloudflare) run between chunks, so a player's
 * private event waits at most one chunk (≈ SEND_CHUNK × 30 µs) behind a lobby frame, not the whole
 * loop (BENCHMARKS.md, "Private latency under lobby load").
 */
export const SEND_CHUNK = 32;

/** A shard's tables; append only. */
const SHARD_MIGRATIONS: readonly StorageMigration[] = [
  {
    name: "catalogue log",
    up(sql) {
      // Shards written before their storage had a version hold this table already.
      sql.exec("CREATE TABLE IF NOT EXISTS catalog_log (version INTEGER PRIMARY KEY, event TEXT NOT NULL)");
      // Earlier versions stored their index on every connect; it comes from the shard's name now.
      sql.exec("DROP TABLE IF EXISTS shard");
    },
  },
  {
    name: "recent drops",
    up(sql) {
      sql.exec("CREATE TABLE recent_drops (id INTEGER PRIMARY KEY CHECK (id = 1), drops_json TEXT NOT NULL)");
    },
  },
];

/**
 * A slice of the public lobby's sockets (idFromName(`shard:<i>`)). The broadcaster delivers each frame
 * already encoded; the shard keeps the recent `cases:updated` events so a reconnecting client can
 * catch up by catalogue version, the lobby's equivalent of a hub's seq, and the last revealed drops
 * (as every drop delivery hands them over) so that a new socket's ticker is full at once.
 */
export class LobbyShard extends SocketRoom<LobbyAttachment, "lobby"> {
  protected readonly channel = "lobby";
  private readonly sql: SqlStorage;
  /** Which slice this is, from its name: the shard reports its count under it. */
  private readonly index: number | null;
  /** The last revealed drops, oldest first; null until read (storage) or asked for (the broadcaster). */
  private recent: Drop[] | null = null;
  private seeding: Promise<Drop[]> | null = null;
  private encodedDrops: { drops: Drop[]; frame: string } | null = null;
  /** Whether this instance has seeded itself since it started or was last reported empty. */
  private seeded = false;
  /** Broadcasts go out one after another, so each socket sees the frames in the broadcaster's order. */
  private sending: Promise<void> = Promise.resolve();
  /** The shard's socket count at the broadcaster, as a lease (./presence.ts): a storm of N connects is a few reports, not N. */
  private readonly presence: Presence;
  /** The one alarm, shared by the audit (./audit.ts) and the presence lease: one storage round trip per burst of connects. */
  private readonly alarms: AlarmSchedule;
  /** The newest catalogue version an audit read from D1 (memory: the next audit reads it again). */
  private audited = 0;
  /** The newest version in catalog_log, read once per change of the log rather than once per connect. */
  private logged: number | null = null;
  private leaseDueAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const index = shardIndexFor(env, ctx.id);
    this.index = index;
    this.alarms = new AlarmSchedule(ctx.storage);
    this.presence = new Presence(
      this.alarms,
      () => this.countSockets(),
      (sockets) => (index === null ? null : broadcaster(env).reportShard(index, sockets)),
      () => ({ shard: index }),
    );
    upgradeStorage(ctx, SHARD_MIGRATIONS);
  }

  /**
   * Called by the broadcaster: remember catalogue changes, then send the frame to every socket open
   * now. A socket that connects meanwhile catches up from what was remembered here first.
   */
  async deliver(delivery: ShardDelivery): Promise<void> {
    this.logCatalog(delivery.cases, "INSERT OR REPLACE");
    if (delivery.recentDrops) {
      // One row per drops frame (a few a second at most), so a connect costs a read, never an RPC.
      this.recent = delivery.recentDrops;
      this.sql.exec("INSERT INTO recent_drops (id, drops_json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET drops_json = excluded.drops_json", JSON.stringify(this.recent));
    }
    const sockets = this.ctx.getWebSockets();
    const turn = this.sending.then(() => this.sendInChunks(delivery.frame, sockets));
    this.sending = turn.catch(() => undefined);
    await turn;
  }

  /**
   * The audit (./audit.ts) while sockets are open, the presence lease every PRESENCE_RENEW_MS; after
   * a crash it reports the empty shard.
   */
  override async alarm(): Promise<void> {
    this.alarms.rang();
    if (this.sockets().length === 0) return this.presence.report();
    await this.audit();
    if (Date.now() >= this.leaseDueAt) {
      await this.presence.report();
      this.leaseDueAt = Date.now() + PRESENCE_RENEW_MS;
    }
    // The next audit, unless a connect asked for an earlier one meanwhile.
    if (this.sockets().length > 0) await this.alarms.ask(Date.now() + AUDIT_MS);
  }

  protected admit(): Admission<LobbyAttachment> {
    if (this.index === null) throw badRequest("Not a lobby shard: open it with lobbyShard().");
    return { attachment: { connectedAt: Date.now() } };
  }

  protected async onConnect(ws: WebSocket, { request }: ConnectInfo<LobbyAttachment>): Promise<ConnectLog> {
    const drops = await this.recentDrops();
    if (drops.length > 0) this.sendEncoded(ws, this.dropsFrame(drops));
    const catalog = new URL(request.url).searchParams.get("catalog");
    const caughtUp = this.catchUp(ws, catalog === null ? null : Number(catalog));
    // One audit soon after a connect covers every socket of the storm that comes with it.
    this.ctx.waitUntil(askConnectAudit(this.alarms, Date.now()));
    this.ctx.waitUntil(this.presence.report());
    return caughtUp;
  }

  protected onMessage(ws: WebSocket, message: ResumeLobbyMessage): void {
    const caughtUp = this.catchUp(ws, message.catalogVersion);
    if (Object.keys(caughtUp).length > 0) log("info", "ws_resume", { channel: "lobby", shard: this.index, ...caughtUp });
  }

  protected async onClose(): Promise<void> {
    await this.presence.report();
  }

  protected logFields(): Record<string, unknown> {
    return { shard: this.index };
  }

  /** An anonymous socket that caught up with nothing is counted, not logged one by one. */
  protected override isPlainConnect(fields: ConnectLog): boolean {
    return !fields || Object.keys(fields).length === 0;
  }

  /**
   * Replays catalogue changes newer than `version` when the log holds all of them, else asks for a
   * resync; then the welcome. Returns what happened, for the log line of the connect or message.
   */
  private catchUp(ws: WebSocket, version: number | null): Record<string, unknown> {
    const latest = this.latestVersion();
    let caughtUp: Record<string, unknown> = {};
    if (version !== null && isValidCounter(version) && version < latest) {
      const rows = this.sql
        .exec<{ version: number; event: string }>("SELECT version, event FROM catalog_log WHERE version > ? ORDER BY version", version)
        .toArray();
      // Catalogue versions step by one per change, so a complete replay is exactly latest - version rows.
      const complete = rows.length === latest - version && rows[0]?.version === version + 1;
      if (complete) {
        const events = rows.map((row) => JSON.parse(row.event) as LobbyEventsFrame["events"][number]);
        this.send(ws, { type: "events", channel: "lobby", events });
      } else {
        this.send(ws, { type: "resync", channel: "lobby", reason: "catalog_gap" });
      }
      caughtUp = { since: version, latest, ...(complete ? { replayed: rows.length } : { resync: "catalog_gap" }) };
    }
    this.send(ws, { type: "welcome", channel: "lobby", catalogVersion: latest });
    return caughtUp;
  }

  /** The newest catalogue version this shard knows of: delivered to it, or read from D1 by an audit. */
  private latestVersion(): number {
    this.logged ??= this.sql.exec<{ latest: number | null }>("SELECT MAX(version) AS latest FROM catalog_log").one().latest ?? 0;
    return Math.max(this.logged, this.audited);
  }

  /**
   * Reads the catalogue version from D1. Newer than any this shard was told of means a change whose
   * `cases:updated` never arrived: every socket is told the version, and the SDK, which cannot have
   * applied it, refetches the catalogue. A D1 failure is logged and the next alarm tries again.
   */
  private async audit(): Promise<void> {
    let version: number;
    try {
      version = (await catalogDatabase(this.env).prepare("SELECT version FROM catalog_state WHERE id = 1").first<number>("version")) ?? 0;
    } catch (err) {
      log("warn", "audit_failed", { channel: "lobby", shard: this.index, error: String(err) });
      return;
    }
    if (version <= this.latestVersion()) return;
    this.audited = version;
    const sent = this.broadcast(encode({ type: "version", channel: "lobby", catalogVersion: version } satisfies LobbyVersionFrame));
    log("warn", "audit_found_lost_change", { channel: "lobby", shard: this.index, catalogVersion: version, sockets: sent });
  }

  /** The ticker's starting frame for `drops`, encoded once for every socket that connects until the drops change. */
  private dropsFrame(drops: Drop[]): string {
    if (this.encodedDrops?.drops !== drops) {
      const frame = encode({ type: "events", channel: "lobby", events: drops.map((data) => ({ event: "drops:new", data })) } satisfies LobbyEventsFrame);
      this.encodedDrops = { drops, frame };
    }
    return this.encodedDrops.frame;
  }

  /** The open sockets, for the presence report; an empty shard needs seeding again (see recentDrops). */
  private countSockets(): number {
    const sockets = this.sockets().length;
    if (sockets === 0) this.seeded = false;
    return sockets;
  }

  /**
   * The drops a new socket starts with: from memory, else from storage (what the last delivery left).
   * A shard that may have been out of the fan-out (just started or woken, or reported empty since)
   * seeds itself from the broadcaster at its next connect: its drops and its catalogue log, so a
   * client reconnecting onto this shard still replays what it missed. Sockets connecting meanwhile
   * wait for the same RPC: a connect storm on a fresh shard is one RPC, not one per socket.
   */
  private recentDrops(): Drop[] | Promise<Drop[]> {
    if (this.seeding) return this.seeding;
    if (this.seeded) {
      if (this.recent) return this.recent;
      const stored = this.sql.exec<{ drops_json: string }>("SELECT drops_json FROM recent_drops WHERE id = 1").toArray()[0];
      if (stored) return (this.recent = parseDrops(stored.drops_json));
    }
    const delivered = this.recent;
    this.seeding = broadcaster(this.env)
      .seedShard()
      .then((seed: ShardSeed) => {
        this.seeded = true;
        this.logCatalog(seed.catalog, "INSERT OR IGNORE");
        // A delivery that arrived while asking is newer than the seed.
        if (this.recent === delivered) this.recent = seed.recentDrops;
        return this.recent ?? seed.recentDrops;
      })
      .catch((err: unknown) => {
        log("warn", "shard_seed_failed", { shard: this.index, error: String(err) });
        return this.recent ?? [];
      })
      .finally(() => (this.seeding = null));
    return this.seeding;
  }

  /** Adds catalogue changes to the log (a delivery replaces, a seed only fills in) and trims it. */
  private logCatalog(changes: ShardDelivery["cases"], verb: "INSERT OR REPLACE" | "INSERT OR IGNORE"): void {
    if (changes.length === 0) return;
    const statement = `${verb} INTO catalog_log (version, event) VALUES (?, ?)`;
    // Forgotten first: a write that throws half-way must not leave the old newest version in memory.
    this.logged = null;
    for (const change of changes) this.sql.exec(statement, change.data.version, JSON.stringify(change));
    this.sql.exec("DELETE FROM catalog_log WHERE version <= (SELECT MAX(version) FROM catalog_log) - ?", CATALOG_LOG_LIMIT);
  }

  /** Sends `frame` to `sockets`, SEND_CHUNK at a time with a yield between chunks (see SEND_CHUNK). */
  private async sendInChunks(frame: string, sockets: WebSocket[]): Promise<void> {
    for (let start = 0; start < sockets.length; start += SEND_CHUNK) {
      if (start > 0) await scheduler.wait(0);
      for (const ws of sockets.slice(start, start + SEND_CHUNK)) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        try {
          ws.send(frame);
        } catch {
          log("warn", "ws_send_failed", { channel: this.channel, shard: this.index });
          try {
            ws.close(1011, "send failed");
          } catch {
            // already closed
          }
        }
      }
    }
  }
}
