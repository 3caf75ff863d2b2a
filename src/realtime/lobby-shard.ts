import { DurableObject } from "cloudflare:workers";
import { badRequest, errorResponse } from "../http/errors";
import { log } from "../lib/log";
import type { ShardDelivery } from "./broadcaster";
import { PING, PONG, encode, isValidCounter, parseClientMessage, refusal, type LobbyEventsFrame, type ServerMessage } from "./protocol";
import { upgradeStorage, type StorageMigration } from "./storage-migrations";
import { broadcaster, shardIndexOf } from "./stubs";
import { PRESENCE_RENEW_MS } from "./user-hub";
import { closeQuietly, echoableCode, isUpgrade, openSockets, sendToAll, trySend, upgradeRequired } from "./sockets";

/** Kept on each lobby socket with serializeAttachment; lobby sockets are anonymous by design. */
export interface LobbyAttachment {
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
export class LobbyShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Which slice this is, from its name: the shard reports its count under it. */
  private readonly index: number | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.index = shardIndexOf(ctx.id.name);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    upgradeStorage(ctx, SHARD_MIGRATIONS);
  }

  override async fetch(request: Request): Promise<Response> {
    if (!isUpgrade(request)) return errorResponse(upgradeRequired());
    if (this.index === null) return errorResponse(badRequest("Not a lobby shard: open it with lobbyShard()."));

    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ connectedAt: Date.now() } satisfies LobbyAttachment);
    const catalog = new URL(request.url).searchParams.get("catalog");
    const sockets = openSockets(this.ctx.getWebSockets()).length;
    log("info", "ws_connect", { channel: "lobby", shard: this.index, sockets, resume: catalog !== null });
    this.catchUp(server, catalog === null ? null : Number(catalog));
    this.ctx.waitUntil(this.reportCount(sockets));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Called by the broadcaster: remember catalogue changes, then send the frame to every socket. */
  async deliver(delivery: ShardDelivery): Promise<void> {
    for (const change of delivery.cases) {
      this.sql.exec("INSERT OR REPLACE INTO catalog_log (version, event) VALUES (?, ?)", change.data.version, JSON.stringify(change));
    }
    if (delivery.cases.length > 0) {
      this.sql.exec("DELETE FROM catalog_log WHERE version <= (SELECT MAX(version) FROM catalog_log) - ?", CATALOG_LOG_LIMIT);
    }
    sendToAll(this.ctx.getWebSockets(), delivery.frame, { channel: "lobby" });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === PING) {
      trySend(ws, PONG);
      return;
    }
    const parsed = parseClientMessage(message);
    if (parsed?.type === "resume-lobby") {
      this.catchUp(ws, parsed.catalogVersion);
      return;
    }
    const error = parsed
      ? ({ type: "error", code: "wrong_channel", message: `"${parsed.type}" belongs on the private socket.` } satisfies ServerMessage)
      : refusal(message);
    log("warn", "ws_refused_frame", { channel: "lobby", code: error.code });
    trySend(ws, encode(error));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.end(ws, { code, reason });
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    await this.end(ws, { code: 1011, reason: "error", error: String(error) });
  }

  private async end(ws: WebSocket, details: { code: number; reason: string; error?: string }): Promise<void> {
    closeQuietly(ws, echoableCode(details.code), details.reason);
    const sockets = openSockets(this.ctx.getWebSockets(), ws).length;
    log("info", "ws_disconnect", { channel: "lobby", ...details, sockets });
    await this.reportCount(sockets);
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
        trySend(ws, encode({ type: "events", channel: "lobby", events } satisfies LobbyEventsFrame));
      } else {
        trySend(ws, encode({ type: "resync", channel: "lobby", reason: "catalog_gap" } satisfies ServerMessage));
      }
      log("info", complete ? "resume" : "resync", { channel: "lobby", since: version, latest, replayed: complete ? rows.length : 0 });
    }
    trySend(ws, encode({ type: "welcome", channel: "lobby", catalogVersion: latest } satisfies ServerMessage));
  }

  /** Renews the presence lease while sockets stay open; after a crash it reports the empty shard. */
  override async alarm(): Promise<void> {
    await this.reportCount(openSockets(this.ctx.getWebSockets()).length);
  }

  /** Same lease scheme as the hubs: an absolute count, renewed by an alarm while sockets are open. */
  private async reportCount(sockets: number): Promise<void> {
    const index = this.index;
    if (index === null) return;
    try {
      await broadcaster(this.env).reportShard(index, sockets);
    } catch (err) {
      log("warn", "presence_report_failed", { shard: index, error: String(err) });
    }
    if (sockets > 0) {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PRESENCE_RENEW_MS);
    } else {
      await this.ctx.storage.deleteAlarm();
    }
  }
}
