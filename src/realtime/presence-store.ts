import { log } from "../lib/log";

/** A presence report not renewed within this time is ignored (its hub or shard died without saying so). */
export const PRESENCE_TTL_MS = 25 * 60_000;

/**
 * How long the broadcaster gathers presence reports before it writes them, in one commit. In a
 * restart's storm every hub and shard reports within a few seconds, hundreds of reports on this one
 * object; written one by one, each was a commit of its own (locally an fsync on the runtime's one
 * thread, BENCHMARKS.md "Restart with 1,000 players"; on Cloudflare a row written per report). A
 * reporter waits this long at most for its answer, which the counts people see never notice.
 */
export const PRESENCE_WRITE_MS = 50;

export type PresenceKind = "hub" | "shard";

export interface RealtimeStats {
  /** Users with at least one private socket. */
  players: number;
  /** Every open socket: private and lobby. */
  clients: number;
  lobbyClients: number;
  userClients: number;
}

interface Report {
  kind: PresenceKind;
  key: string;
  sockets: number;
  at: number;
}

/**
 * The broadcaster's table of who holds how many sockets (hubs by user, lobby shards by index),
 * written in bursts. A report is answered once it is stored: every report of a burst waits for the
 * same write, so the answer still means the count survives the broadcaster's eviction. Every read
 * writes what is waiting first, so a count is visible from the moment it is reported.
 */
export class PresenceStore {
  private readonly unwritten = new Map<string, Report>();
  /** The burst's write, once the first report of the burst asked for it. */
  private writing: Promise<void> | null = null;
  /** Why a read's write of this burst's reports failed: the burst's reporters are answered with it. */
  private failed: unknown = null;

  /** `sql` holds the `presence` table (the broadcaster's migrations). */
  constructor(private readonly sql: SqlStorage) {}

  /** Records `sockets` for `kind`/`key` (0 = none); resolves once it is in storage. */
  report(kind: PresenceKind, key: string, sockets: number, at: number): Promise<void> {
    // The newest report of an object wins: a burst stores each object's latest count once.
    this.unwritten.set(`${kind}:${key}`, { kind, key, sockets, at });
    this.writing ??= scheduler.wait(PRESENCE_WRITE_MS).then(() => {
      // Ended before the write: a report from now on starts the next burst, also when this write throws.
      this.writing = null;
      const failed = this.failed;
      this.failed = null;
      this.write();
      if (failed !== null) throw failed;
    });
    return this.writing;
  }

  /** The online figures: players with a private socket, and sockets by kind. */
  stats(at: number): RealtimeStats {
    this.writeBeforeRead();
    const row = this.sql
      .exec<{ players: number; user_clients: number; lobby_clients: number }>(
        `SELECT
           COALESCE(SUM(CASE WHEN kind = 'hub' THEN 1 ELSE 0 END), 0) AS players,
           COALESCE(SUM(CASE WHEN kind = 'hub' THEN sockets ELSE 0 END), 0) AS user_clients,
           COALESCE(SUM(CASE WHEN kind = 'shard' THEN sockets ELSE 0 END), 0) AS lobby_clients
         FROM presence WHERE sockets > 0 AND reported_at > ?`,
        at - PRESENCE_TTL_MS,
      )
      .one();
    return {
      players: row.players,
      clients: row.user_clients + row.lobby_clients,
      lobbyClients: row.lobby_clients,
      userClients: row.user_clients,
    };
  }

  /** Live lobby shard counts by index (reports within the lease). */
  shardCounts(at: number): Map<number, number> {
    this.writeBeforeRead();
    const rows = this.sql
      .exec<{ key: string; sockets: number }>("SELECT key, sockets FROM presence WHERE kind = 'shard' AND sockets > 0 AND reported_at > ?", at - PRESENCE_TTL_MS)
      .toArray();
    return new Map(rows.map((row) => [Number(row.key), row.sockets]));
  }

  /**
   * A read writes what is waiting first, without ending the burst (its reporters are answered when
   * the burst's timer fires). A failed write never fails the read: the lobby's directory and fan-out
   * read presence, and go on with what is stored; the burst's reporters get the error.
   */
  private writeBeforeRead(): void {
    try {
      this.write();
    } catch (err) {
      this.failed = err;
      log("warn", "presence_write_failed", { error: String(err) });
    }
  }

  /**
   * Writes every waiting report, synchronously: one commit for all of them. The reports are taken
   * first, so a write that throws loses its burst's counts, never the next burst's: its reporters
   * get the error (and log it), and each reports again with its next change or lease renewal.
   */
  private write(): void {
    if (this.unwritten.size === 0) return;
    const reports = [...this.unwritten.values()];
    this.unwritten.clear();
    for (const { kind, key, sockets, at } of reports) {
      if (sockets > 0) {
        this.sql.exec(
          "INSERT INTO presence (kind, key, sockets, reported_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET sockets = excluded.sockets, reported_at = excluded.reported_at",
          kind,
          key,
          sockets,
          at,
        );
      } else {
        this.sql.exec("DELETE FROM presence WHERE kind = ? AND key = ?", kind, key);
      }
    }
  }
}
