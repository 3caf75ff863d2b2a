import { badRequest } from "../http/errors";
import { log } from "../lib/log";
import type { ShardDelivery } from "./broadcaster";
import { reportPresence } from "./presence";
import { isValidCounter, type LobbyEventsFrame, type ResumeLobbyMessage } from "./protocol";
import { SocketRoom, type Admission, type CloseInfo, type ConnectInfo } from "./socket-room";
import { upgradeStorage, type StorageMigration } from "./storage-migrations";
import { broadcaster, shardIndexOf } from "./stubs";

/** Lobby sockets are anonymous by design. */
interface LobbyAttachment {
  connectedAt: number;
}

/** Catalogue changes kept for lobby resume: more than this missed and the client refetches /api/cases. */
export const CATALOG_LOG_LIMIT = 100;

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
];

/**
 * A slice of the public lobby's sockets (idFromName(`shard:<i>`)). The broadcaster delivers each frame
 * already encoded; the shard keeps the recent `cases:updated` events so a reconnecting client can
 * catch up by catalogue version, the lobby's equivalent of a hub's seq.
 */
export class LobbyShard extends SocketRoom<LobbyAttachment, "lobby"> {
  protected readonly channel = "lobby";
  private readonly sql: SqlStorage;
  /** Which slice this is, from its name: the shard reports its count under it. */
  private readonly index: number | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.index = shardIndexOf(ctx.id.name);
    upgradeStorage(ctx, SHARD_MIGRATIONS);
  }

  /** Called by the broadcaster: remember catalogue changes, then send the frame to every socket. */
  async deliver(delivery: ShardDelivery): Promise<void> {
    for (const change of delivery.cases) {
      this.sql.exec("INSERT OR REPLACE INTO catalog_log (version, event) VALUES (?, ?)", change.data.version, JSON.stringify(change));
    }
    if (delivery.cases.length > 0) {
      this.sql.exec("DELETE FROM catalog_log WHERE version <= (SELECT MAX(version) FROM catalog_log) - ?", CATALOG_LOG_LIMIT);
    }
    this.broadcast(delivery.frame);
  }

  /** Renews the presence lease while sockets stay open; after a crash it reports the empty shard. */
  override async alarm(): Promise<void> {
    await this.reportCount(this.sockets().length);
  }

  protected admit(): Admission<LobbyAttachment> {
    if (this.index === null) throw badRequest("Not a lobby shard: open it with lobbyShard().");
    return { attachment: { connectedAt: Date.now() } };
  }

  protected onConnect(ws: WebSocket, { request, sockets }: ConnectInfo<LobbyAttachment>): void {
    const catalog = new URL(request.url).searchParams.get("catalog");
    this.catchUp(ws, catalog === null ? null : Number(catalog));
    this.ctx.waitUntil(this.reportCount(sockets));
  }

  protected onMessage(ws: WebSocket, message: ResumeLobbyMessage): void {
    this.catchUp(ws, message.catalogVersion);
  }

  protected async onClose(_ws: WebSocket, { sockets }: CloseInfo<LobbyAttachment>): Promise<void> {
    await this.reportCount(sockets);
  }

  protected logFields(): Record<string, unknown> {
    return { shard: this.index };
  }

  /** Replays catalogue changes newer than `version` when the log holds all of them, else asks for a resync. */
  private catchUp(ws: WebSocket, version: number | null): void {
    const latest = this.sql.exec<{ latest: number | null }>("SELECT MAX(version) AS latest FROM catalog_log").one().latest ?? 0;
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
      log("info", complete ? "resume" : "resync", { channel: "lobby", since: version, latest, replayed: complete ? rows.length : 0 });
    }
    this.send(ws, { type: "welcome", channel: "lobby", catalogVersion: latest });
  }

  /** The shard's socket count, as a lease (./presence.ts). */
  private async reportCount(sockets: number): Promise<void> {
    const index = this.index;
    if (index === null) return;
    await reportPresence(this.ctx.storage, sockets, () => broadcaster(this.env).reportShard(index, sockets), { shard: index });
  }
}
