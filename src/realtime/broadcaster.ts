import { DurableObject } from "cloudflare:workers";
import { randomToken } from "../lib/crypto";
import { log } from "../lib/log";
import { AlarmSchedule } from "./alarm-schedule";
import type { Drop, PublicEvent, PublicEventMap } from "./events";
import { DropStore, type HeldDrop } from "./held-drops";
import { encode, type LobbyEventsFrame } from "./protocol";
import { frameWindowMs, minShards, shardsFor, shardTarget } from "./lobby-budget";
import { PresenceStore, type PresenceKind, type RealtimeStats } from "./presence-store";
import { upgradeStorage, type StorageMigration } from "./storage-migrations";
import { lobbyShard } from "./stubs";

/**
 * The broadcaster's shortest coalescing window: drops that come due within it go out as one lobby
 * frame, and two frames are at least this far apart. A big lobby widens it (frameWindowMs in
 * ./lobby-budget.ts): fewer frames, each with more drops. (Each isolate batches its own drops before
 * the RPC first: ISOLATE_BATCH_MS in ./drop-batcher.ts.)
 */
export const LOBBY_FRAME_WINDOW_MS = 250;
/** A coalesced frame carries the newest drops only; the feed shows a handful, older ones are stale. */
export const MAX_DROPS_PER_FRAME = 20;
/**
 * How long a Worker isolate may use a directory it was handed before asking again, and how long
 * the broadcaster keeps fanning out to every shard it handed out: a socket placed from a directory
 * a few seconds old still gets every frame before its shard's first presence report lands.
 */
export const DIRECTORY_TTL_MS = 2_000;
const DIRECTORY_HOLD_MS = 15 * DIRECTORY_TTL_MS;
/**
 * The online count goes out at most this often. Sent every window, a connect storm of N sockets
 * would cost O(N² / window) sends (each connect changes the count every socket is told about).
 */
export const ONLINE_EVERY_MS = 5_000;

/** The broadcaster's tables; append only. */
const BROADCASTER_MIGRATIONS: readonly StorageMigration[] = [
  {
    name: "pending drops and presence",
    up(sql) {
      // A broadcaster written before its storage had a version holds these tables already.
      // Pending drops live in storage, not memory, so an eviction inside the window loses none.
      sql.exec("CREATE TABLE IF NOT EXISTS pending_drops (id INTEGER PRIMARY KEY AUTOINCREMENT, drop_json TEXT NOT NULL)");
      sql.exec("CREATE TABLE IF NOT EXISTS presence (kind TEXT NOT NULL, key TEXT NOT NULL, sockets INTEGER NOT NULL, reported_at INTEGER NOT NULL, PRIMARY KEY (kind, key))");
    },
  },
  {
    name: "drops held until their reveal, and the recent ones",
    up(sql) {
      // Drops pending from before wait for nothing (0): they go out with the next frame.
      sql.exec("ALTER TABLE pending_drops ADD COLUMN reveal_at INTEGER NOT NULL DEFAULT 0");
      sql.exec("CREATE TABLE recent_drops (id INTEGER PRIMARY KEY CHECK (id = 1), drops_json TEXT NOT NULL)");
    },
  },
  {
    name: "catalogue log and the shards handed out",
    up(sql) {
      // A shard opened later seeds its own catalogue log from this one, so a client that reconnects
      // onto a new shard still replays what it missed.
      sql.exec("CREATE TABLE catalog_log (version INTEGER PRIMARY KEY, event TEXT NOT NULL)");
      // The largest directory handed out in this window and in the one before (two windows of
      // DIRECTORY_HOLD_MS / 2): every shard handed out within the last window or two gets frames.
      sql.exec("CREATE TABLE directory (id INTEGER PRIMARY KEY CHECK (id = 1), current_max INTEGER NOT NULL, previous_max INTEGER NOT NULL, window_start INTEGER NOT NULL)");
    },
  },
  {
    name: "the generated resume key",
    up(sql) {
      sql.exec("CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
    },
  },
];

/** Catalogue changes the broadcaster keeps for new shards (the shards keep as many: CATALOG_LOG_LIMIT). */
const CATALOG_SEED_LIMIT = 100;

type CasesUpdated = Extract<PublicEvent, { event: "cases:updated" }>;

/**
 * What the broadcaster hands each shard: the frame encoded once, plus the catalogue changes it carries
 * and, when it carries drops, the last RECENT_DROPS revealed ones (for the shard's connect catch-up).
 */
export interface ShardDelivery {
  frame: string;
  cases: CasesUpdated[];
  recentDrops?: Drop[];
}

/** What a shard starts from when its first socket connects: the ticker's drops and the catalogue log. */
export interface ShardSeed {
  recentDrops: Drop[];
  catalog: CasesUpdated[];
}

/**
 * Where the Worker may place new lobby sockets: shards 0 … sockets.length − 1, each with its last
 * reported count, and the target per shard. The Worker keeps it for DIRECTORY_TTL_MS.
 */
export interface LobbyDirectory {
  target: number;
  sockets: number[];
}

/**
 * The global public channel (idFromName("global")). It holds no sockets itself: lobby sockets live on
 * LobbyShard objects, as many as the lobby needs (./lobby-budget.ts), and the broadcaster fans each
 * frame out to every shard that holds sockets or was handed out for new ones. It is the shards'
 * directory, built from the presence counts that hubs and shards report, so nobody has to wake them.
 */
export class Broadcaster extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly drops: DropStore;
  private lastOnline = "";
  private lastOnlineAt = 0;
  /** When the last lobby frame of drops or counts went out (memory: after an eviction, none is recent). */
  private lastFlushAt = 0;
  /** The next frame's alarm, asked for by publishes, held drops and presence reports. */
  private readonly alarms: AlarmSchedule;
  /** Who holds how many sockets, as hubs and shards report it. */
  private readonly presence: PresenceStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.drops = new DropStore(this.sql);
    this.alarms = new AlarmSchedule(ctx.storage);
    this.presence = new PresenceStore(this.sql);
    upgradeStorage(ctx, BROADCASTER_MIGRATIONS);
  }

  /** Catalogue and battle changes go out at once; drops (already revealed) are coalesced into the next window. */
  async publish(events: PublicEvent[]): Promise<void> {
    const cases = events.filter((e): e is CasesUpdated => e.event === "cases:updated");
    const drops = events.flatMap((e) => (e.event === "drops:new" ? [{ drop: e.data, revealAt: 0 }] : []));
    // A battle's room sends its lobby updates as they happen (they carry nothing to hold back).
    const battles = events.filter((e) => e.event === "battles:updated");
    if (cases.length > 0) this.logCatalog(cases);
    if (cases.length > 0 || battles.length > 0) {
      await this.fanOut({ frame: encode({ type: "events", channel: "lobby", events: [...cases, ...battles] } satisfies LobbyEventsFrame), cases });
    }
    if (drops.length > 0) {
      this.drops.hold(drops);
      await this.scheduleFlush(Date.now() + LOBBY_FRAME_WINDOW_MS);
    }
    log("info", "publish", { channel: "lobby", cases: cases.length, battles: battles.length, drops: drops.length });
  }

  /**
   * Drops of openings, each kept in storage until its reveal time (the opener's reel has stopped),
   * then sent in the first frame at or after it. An eviction meanwhile loses none: the alarm and the
   * rows survive it.
   */
  async hold(drops: HeldDrop[]): Promise<void> {
    if (drops.length === 0) return;
    this.drops.hold(drops);
    await this.scheduleFlush(Math.min(...drops.map((d) => d.revealAt)));
    log("info", "publish", { channel: "lobby", cases: 0, drops: drops.length, held: true });
  }

  /** What a shard starts from (its first socket, or a shard never delivered to). */
  async seedShard(): Promise<ShardSeed> {
    const catalog = this.sql
      .exec<{ event: string }>("SELECT event FROM catalog_log ORDER BY version")
      .toArray()
      .map((row) => JSON.parse(row.event) as CasesUpdated);
    return { recentDrops: this.drops.recent(), catalog };
  }

  /**
   * The shards new lobby sockets may go to. What was handed out is remembered (one row, written when
   * the lobby grows or a window turns), so fan-outs include a new shard from the moment a Worker may
   * place a socket on it, and drop a shard no Worker was told about for a whole window.
   */
  async directory(): Promise<LobbyDirectory> {
    const target = shardTarget(this.env);
    const counts = this.shardCounts();
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const shards = shardsFor(total, target, minShards(this.env));
    this.rememberHandedOut(shards, Date.now());
    return { target, sockets: Array.from({ length: shards }, (_, i) => counts.get(i) ?? 0) };
  }

  /** The shards a lobby frame goes to now (every one that may hold a socket). */
  async shards(): Promise<number[]> {
    return this.fanOutShards(this.shardCounts());
  }

  /**
   * The resume credentials' HMAC key when RESUME_SECRET is not set (../realtime/resume.ts): random,
   * generated on first use and kept here, the one object every isolate can reach by name. Read once
   * per isolate.
   */
  async resumeSecret(): Promise<string> {
    const stored = this.sql.exec<{ value: string }>("SELECT value FROM secrets WHERE name = 'resume'").toArray()[0];
    if (stored) return stored.value;
    const value = randomToken(32);
    this.sql.exec("INSERT INTO secrets (name, value) VALUES ('resume', ?)", value);
    return value;
  }

  /** A hub's current socket count for its user (0 = offline). */
  async reportHub(userId: string, sockets: number): Promise<void> {
    await this.report("hub", userId, sockets);
  }

  /** A lobby shard's current socket count. */
  async reportShard(shard: number, sockets: number): Promise<void> {
    await this.report("shard", String(shard), sockets);
  }

  async stats(): Promise<RealtimeStats> {
    return this.presence.stats(Date.now());
  }

  /**
   * The end of a window: one frame with the newest drops now due and the online count if it changed;
   * then the alarm is set again for what is still owed (the next held drop, a count held back).
   */
  override async alarm(): Promise<void> {
    this.alarms.rang();
    const at = Date.now();
    const due = this.drops.takeDue(at);
    const sent = due.slice(-MAX_DROPS_PER_FRAME);
    const events: PublicEvent[] = sent.map((data) => ({ event: "drops:new", data }));
    const owed: number[] = [];
    const online = await this.onlineIfChanged(at);
    if (online === "later") owed.push(this.lastOnlineAt + ONLINE_EVERY_MS);
    else if (online) events.push({ event: "online", data: online });
    const next = this.drops.nextRevealAt();
    if (next !== null) owed.push(Math.max(next, at + this.frameWindow()));
    // Kept if a report or a publish asked for an earlier frame meanwhile.
    if (owed.length > 0) await this.alarms.ask(Math.min(...owed));
    if (events.length === 0) return;
    this.lastFlushAt = at;
    const recentDrops = sent.length > 0 ? this.drops.remember(sent) : undefined;
    await this.fanOut({ frame: encode({ type: "events", channel: "lobby", events } satisfies LobbyEventsFrame), cases: [], recentDrops });
    log("info", "lobby_flush", { drops: due.length, sent: events.length });
  }

  /** The online count when it changed and may be sent; "later" when it changed too soon after the last one. */
  private async onlineIfChanged(at: number): Promise<PublicEventMap["online"] | "later" | null> {
    const stats = await this.stats();
    const online: PublicEventMap["online"] = { players: stats.players, clients: stats.clients };
    if (JSON.stringify(online) === this.lastOnline) return null;
    if (at < this.lastOnlineAt + ONLINE_EVERY_MS) return "later";
    this.lastOnline = JSON.stringify(online);
    this.lastOnlineAt = at;
    return online;
  }

  private async report(kind: PresenceKind, key: string, sockets: number): Promise<void> {
    await this.presence.report(kind, key, sockets, Date.now());
    await this.scheduleFlush(Date.now() + LOBBY_FRAME_WINDOW_MS);
  }

  /**
   * A frame goes out by `wanted` (or one frame window after the last, when that is later), even if
   * a later alarm (a due online count, a later drop) is set.
   */
  private async scheduleFlush(wanted: number): Promise<void> {
    // A frame due by then covers this one: in a restart's storm that is most of the hundreds of
    // presence reports, each then costing no storage read and no frame window worked out.
    if (this.alarms.dueBy(wanted)) return;
    await this.alarms.ask(Math.max(wanted, this.lastFlushAt + this.frameWindow()));
  }

  /** The ticker's window now: wider when the lobby has many shards or a crowded one (./lobby-budget.ts). */
  private frameWindow(): number {
    const counts = this.shardCounts();
    return frameWindowMs(this.fanOutShards(counts).length, Math.max(0, ...counts.values()));
  }

  private shardCounts(): Map<number, number> {
    return this.presence.shardCounts(Date.now());
  }

  private handedOut(): { current: number; previous: number; since: number } | null {
    const row = this.sql
      .exec<{ current_max: number; previous_max: number; window_start: number }>("SELECT current_max, previous_max, window_start FROM directory WHERE id = 1")
      .toArray()[0];
    return row ? { current: row.current_max, previous: row.previous_max, since: row.window_start } : null;
  }

  private rememberHandedOut(shards: number, now: number): void {
    const window = DIRECTORY_HOLD_MS / 2;
    const handed = this.handedOut();
    let next: { current: number; previous: number; since: number };
    if (handed === null || now - handed.since >= 2 * window) next = { current: shards, previous: 0, since: now };
    else if (now - handed.since >= window) next = { current: shards, previous: handed.current, since: now };
    else if (shards > handed.current) next = { ...handed, current: shards };
    else return;
    this.sql.exec(
      "INSERT INTO directory (id, current_max, previous_max, window_start) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET current_max = excluded.current_max, previous_max = excluded.previous_max, window_start = excluded.window_start",
      next.current,
      next.previous,
      next.since,
    );
  }

  /** The most shards any Worker may still place sockets on: the largest directory of the last window or two. */
  private recentlyHandedOut(now: number): number {
    const handed = this.handedOut();
    if (handed === null) return 0;
    const window = DIRECTORY_HOLD_MS / 2;
    if (now - handed.since >= 2 * window) return 0;
    return now - handed.since >= window ? handed.current : Math.max(handed.current, handed.previous);
  }

  /**
   * Every shard that may hold a socket: those reporting sockets, the floor, and every shard handed
   * out to Workers in at least the last DIRECTORY_HOLD_MS / 2 (their first reports may be on the way).
   * A shard that emptied and is no longer handed out gets nothing, and the runtime evicts it.
   */
  private fanOutShards(counts: Map<number, number>): number[] {
    const open = Math.max(minShards(this.env), this.recentlyHandedOut(Date.now()));
    const shards = new Set<number>(Array.from({ length: open }, (_, i) => i));
    for (const index of counts.keys()) shards.add(index);
    return [...shards].sort((a, b) => a - b);
  }

  private logCatalog(cases: readonly CasesUpdated[]): void {
    for (const change of cases) {
      this.sql.exec("INSERT OR REPLACE INTO catalog_log (version, event) VALUES (?, ?)", change.data.version, JSON.stringify(change));
    }
    this.sql.exec("DELETE FROM catalog_log WHERE version <= (SELECT MAX(version) FROM catalog_log) - ?", CATALOG_SEED_LIMIT);
  }

  /** One RPC per shard, in parallel; a failing shard is logged and never blocks the others. */
  private async fanOut(delivery: ShardDelivery): Promise<void> {
    const shards = this.fanOutShards(this.shardCounts());
    const results = await Promise.allSettled(shards.map((i) => lobbyShard(this.env, i).deliver(delivery)));
    results.forEach((result, i) => {
      if (result.status === "rejected") log("warn", "shard_delivery_failed", { shard: shards[i], error: String(result.reason) });
    });
  }
}
