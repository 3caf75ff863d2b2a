import type { Drop } from "./events";

/** A drop on its way to the lobby, and the time it may be shown (see ./reveal.ts). */
export interface HeldDrop {
  drop: Drop;
  revealAt: number;
}

/** How many revealed drops the lobby keeps for sockets that connect: the ticker's worth. */
export const RECENT_DROPS = 20;

/**
 * The broadcaster's drops, in its SQLite storage so that an eviction loses none: pending ones wait
 * for their reveal time, and the last RECENT_DROPS revealed ones are kept (one row) for every
 * delivery to carry. No index on reveal_at: the pending set is the last few seconds of drops, and a
 * scan of it costs reads, where an index would cost a second written row per drop.
 */
export class DropStore {
  private recentDrops: Drop[] | null = null;

  constructor(private readonly sql: SqlStorage) {}

  hold(drops: readonly HeldDrop[]): void {
    for (const { drop, revealAt } of drops) this.sql.exec("INSERT INTO pending_drops (drop_json, reveal_at) VALUES (?, ?)", JSON.stringify(drop), revealAt);
  }

  /** Removes and returns the drops whose time has come, in the order they became due. */
  takeDue(at: number): Drop[] {
    const rows = this.sql.exec<{ drop_json: string }>("SELECT drop_json FROM pending_drops WHERE reveal_at <= ? ORDER BY reveal_at, id", at).toArray();
    if (rows.length > 0) this.sql.exec("DELETE FROM pending_drops WHERE reveal_at <= ?", at);
    return rows.map((row) => JSON.parse(row.drop_json) as Drop);
  }

  /** When the next pending drop is due, or null when none waits. */
  nextRevealAt(): number | null {
    return this.sql.exec<{ next: number | null }>("SELECT MIN(reveal_at) AS next FROM pending_drops").one().next;
  }

  /** The last revealed drops, oldest first. */
  recent(): Drop[] {
    this.recentDrops ??= parseDrops(this.sql.exec<{ drops_json: string }>("SELECT drops_json FROM recent_drops WHERE id = 1").toArray()[0]?.drops_json);
    return this.recentDrops;
  }

  /** Adds drops just sent to the kept ones and returns the kept ones. One written row. */
  remember(sent: readonly Drop[]): Drop[] {
    const kept = [...this.recent(), ...sent].slice(-RECENT_DROPS);
    this.sql.exec("INSERT INTO recent_drops (id, drops_json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET drops_json = excluded.drops_json", JSON.stringify(kept));
    this.recentDrops = kept;
    return kept;
  }
}

/** Drops stored as one JSON array (a missing row: none). */
export function parseDrops(json: string | undefined): Drop[] {
  return json === undefined ? [] : (JSON.parse(json) as Drop[]);
}
