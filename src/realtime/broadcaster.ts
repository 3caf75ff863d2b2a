import { DurableObject } from "cloudflare:workers";
import { log } from "../lib/log";
import type { Drop, PublicEvent, PublicEventMap } from "./events";
import { DropStore, type HeldDrop } from "./held-drops";
import { encode, type LobbyEventsFrame } from "./protocol";
import { upgradeStorage, type StorageMigration } from "./storage-migrations";
import { lobbyShard, shardCount } from "./stubs";

/**
 * The broadcaster's coalescing window: drops that come due within it go out as one lobby frame, and
 * two frames are at least this far apart, so a busy site sends at most a few lobby frames a second.
 * (Each isolate batches its own drops before the RPC first: ISOLATE_BATCH_MS in ./drop-batcher.ts.)
 */
export const LOBBY_FRAME_WINDOW_MS = 250;
/** A coalesced frame carries the newest drops only; the feed shows a handful, older ones are stale. */
export const MAX_DROPS_PER_FRAME = 20;
/**
 * The online count goes out at most this often. Sent every window, a connect storm of N sockets
 * would cost O(N² / window) sends (each connect changes the count every socket is told about).
 */
export const ONLINE_EVERY_MS = 5_000;
/** A presence report not renewed within this time is ignored (its hub or shard died without saying so). */
const PRESENCE_TTL_MS = 25 * 60_000;

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
];

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

export interface RealtimeStats {
  /** Users with at least one private socket. */
  players: number;
  /** Every open socket: private and lobby. */
  clients: number;
  lobbyClients: number;
  userClients: number;
}

/**
 * The global public channel (idFromName("global")). It holds no sockets itself: lobby sockets live on
 * LobbyShard objects (LOBBY_SHARDS of them), and the broadcaster fans each frame out to all of them.
 * It also keeps the presence counts that hubs and shards report, so nobody has to wake them to count.
 */
export class Broadcaster extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly drops: DropStore;
  private lastOnline = "";
  private lastOnlineAt = 0;
  /** When the last lobby frame of drops or counts went out (memory: after an eviction, none is recent). */
  private lastFlushAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.drops = new DropStore(this.sql);
    upgradeStorage(ctx, BROADCASTER_MIGRATIONS);
  }

  /** Catalogue and battle changes go out at once; drops (already revealed) are coalesced into the next window. */
  async publish(events: PublicEvent[]): Promise<void> {
    const cases = events.filter((e): e is CasesUpdated => e.event === "cases:updated");
    const drops = events.flatMap((e) => (e.event === "drops:new" ? [{ drop: e.data, revealAt: 0 }] : []));
    // A battle's room sends its lobby updates as they happen (they carry nothing to hold back).
    const battles = events.filter((e) => e.event === "battles:updated");
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
    await this.scheduleFlush(Math.max(Math.min(...drops.map((d) => d.revealAt)), this.lastFlushAt + LOBBY_FRAME_WINDOW_MS));
    log("info", "publish", { channel: "lobby", cases: 0, drops: drops.length, held: true });
  }

  /** The last revealed drops, oldest first: for a shard that has never had a delivery. */
  async recentDrops(): Promise<Drop[]> {
    return this.drops.recent();
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
    const row = this.sql
      .exec<{ players: number; user_clients: number; lobby_clients: number }>(
        `SELECT
           COALESCE(SUM(CASE WHEN kind = 'hub' THEN 1 ELSE 0 END), 0) AS players,
           COALESCE(SUM(CASE WHEN kind = 'hub' THEN sockets ELSE 0 END), 0) AS user_clients,
           COALESCE(SUM(CASE WHEN kind = 'shard' THEN sockets ELSE 0 END), 0) AS lobby_clients
         FROM presence WHERE sockets > 0 AND reported_at > ?`,
        Date.now() - PRESENCE_TTL_MS,
      )
      .one();
    return {
      players: row.players,
      clients: row.user_clients + row.lobby_clients,
      lobbyClients: row.lobby_clients,
      userClients: row.user_clients,
    };
  }

  /**
   * The end of a window: one frame with the newest drops now due and the online count if it changed;
   * then the alarm is set again for what is still owed (the next held drop, a count held back).
   */
  override async alarm(): Promise<void> {
    const at = Date.now();
    const due = this.drops.takeDue(at);
    const sent = due.slice(-MAX_DROPS_PER_FRAME);
    const events: PublicEvent[] = sent.map((data) => ({ event: "drops:new", data }));
    const owed: number[] = [];
    const online = await this.onlineIfChanged(at);
    if (online === "later") owed.push(this.lastOnlineAt + ONLINE_EVERY_MS);
    else if (online) events.push({ event: "online", data: online });
    const next = this.drops.nextRevealAt();
    if (next !== null) owed.push(Math.max(next, at + LOBBY_FRAME_WINDOW_MS));
    if (owed.length > 0) await this.ctx.storage.setAlarm(Math.min(...owed));
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

  private async report(kind: "hub" | "shard", key: string, sockets: number): Promise<void> {
    if (sockets > 0) {
      this.sql.exec(
        "INSERT INTO presence (kind, key, sockets, reported_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET sockets = excluded.sockets, reported_at = excluded.reported_at",
        kind,
        key,
        sockets,
        Date.now(),
      );
    } else {
      this.sql.exec("DELETE FROM presence WHERE kind = ? AND key = ?", kind, key);
    }
    await this.scheduleFlush(Date.now() + LOBBY_FRAME_WINDOW_MS);
  }

  /** A frame goes out by `at`, even if a later alarm (a due online count, a later drop) is set. */
  private async scheduleFlush(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** One RPC per shard, in parallel; a failing shard is logged and never blocks the others. */
  private async fanOut(delivery: ShardDelivery): Promise<void> {
    const count = shardCount(this.env);
    const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => lobbyShard(this.env, i).deliver(delivery)));
    results.forEach((result, shard) => {
      if (result.status === "rejected") log("warn", "shard_delivery_failed", { shard, error: String(result.reason) });
    });
  }
}
