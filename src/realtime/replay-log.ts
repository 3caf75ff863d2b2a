import { randomToken } from "../lib/crypto";
import type { PrivateEvent } from "./events";
import { isValidCounter, isValidEpoch, type ResyncFrame } from "./protocol";
import type { StorageMigration } from "./storage-migrations";

/** Replay window in events: a client away for fewer than this many events replays; others refetch over REST. */
export const REPLAY_LOG_LIMIT = 500;

export interface StreamPosition {
  epoch: string;
  seq: number;
}

/** An event as numbered by its stream: `seq` grows by one per event within an `epoch`. */
export type Numbered<E> = E & { seq: number };

export type Catch<E = PrivateEvent> =
  | { kind: "replay"; events: Numbered<E>[] }
  | { kind: "resync"; reason: ResyncFrame["reason"] };

type BatchRow = {
  first_seq: number;
  last_seq: number;
  events: string;
};

/** The tables of {@link ReplayLog}, which are all of a hub's storage; append only. */
export const REPLAY_LOG_MIGRATIONS: readonly StorageMigration[] = [
  {
    name: "stream position and a ring of batches",
    up(sql) {
      // Hubs written before their storage had a version hold some of these tables already.
      sql.exec("CREATE TABLE IF NOT EXISTS stream (id INTEGER PRIMARY KEY CHECK (id = 1), epoch TEXT NOT NULL, seq INTEGER NOT NULL)");
      sql.exec("CREATE TABLE IF NOT EXISTS batches (slot INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, events TEXT NOT NULL)");
      // The one-row-per-event log of earlier versions: its seqs live on in stream.seq, its events go
      // (a client resuming into them resyncs, as after any gap).
      sql.exec("DROP TABLE IF EXISTS log");
    },
  },
];

/**
 * A numbered event stream in an object's SQLite storage (a hub's private events, a battle room's). The epoch is minted with the storage, so a
 * hub whose storage was lost can never be mistaken for the one a client remembers.
 *
 * Storage is billed per row written, and every opening publishes here, so one publish is one row:
 * its events together, in a ring of REPLAY_LOG_LIMIT slots picked by the batch's last seq. A slot is
 * only ever overwritten by a batch at least REPLAY_LOG_LIMIT seqs newer, so every batch inside the
 * window survives; no trimming DELETE, no counter UPDATE (the position is the newest batch's seq,
 * kept in memory while the hub is awake).
 */
export class ReplayLog<E extends { event: string } = PrivateEvent> {
  private current: StreamPosition | null = null;

  /** `sql` must have run {@link REPLAY_LOG_MIGRATIONS}. */
  constructor(private readonly sql: SqlStorage) {}

  position(): StreamPosition {
    if (this.current) return this.current;
    const stored = this.sql
      .exec<{ epoch: string; seq: number }>("SELECT epoch, MAX(seq, COALESCE((SELECT MAX(last_seq) FROM batches), 0)) AS seq FROM stream WHERE id = 1")
      .toArray()[0];
    if (stored) return (this.current = stored);
    const fresh = { epoch: randomToken(9), seq: 0 };
    this.sql.exec("INSERT INTO stream (id, epoch, seq) VALUES (1, ?, ?)", fresh.epoch, fresh.seq);
    return (this.current = fresh);
  }

  /** Numbers the events and stores them as one row; returns them with their seq. */
  append(events: E[]): { epoch: string; events: Numbered<E>[] } {
    const { epoch, seq } = this.position();
    const sequenced: Numbered<E>[] = events.map((event, i) => ({ ...event, seq: seq + i + 1 }));
    const last = seq + events.length;
    // A synchronous SQL write commits before the output gate lets the send that follows out: a
    // client never sees a seq that a restarted hub would not remember.
    this.sql.exec(
      "INSERT INTO batches (slot, first_seq, last_seq, events) VALUES (?, ?, ?, ?) ON CONFLICT (slot) DO UPDATE SET first_seq = excluded.first_seq, last_seq = excluded.last_seq, events = excluded.events",
      last % REPLAY_LOG_LIMIT,
      seq + 1,
      last,
      JSON.stringify(sequenced),
    );
    this.current = { epoch, seq: last };
    return { epoch, events: sequenced };
  }

  /** What a client holding `from` missed, or why it has to resync instead. */
  after(from: { since: number; epoch: string }): Catch<E> {
    const { epoch, seq } = this.position();
    if (!isValidEpoch(from.epoch) || !isValidCounter(from.since) || from.epoch !== epoch) return { kind: "resync", reason: "epoch_changed" };
    if (from.since > seq) return { kind: "resync", reason: "ahead_of_server" };
    if (from.since === seq) return { kind: "replay", events: [] };
    const rows = this.sql.exec<BatchRow>("SELECT first_seq, last_seq, events FROM batches WHERE last_seq > ? ORDER BY last_seq", from.since).toArray();
    // The batches must run without a hole from just after `since` to the newest seq.
    let next = from.since + 1;
    const events: Numbered<E>[] = [];
    for (const row of rows) {
      if (row.first_seq > next) return { kind: "resync", reason: "gap_too_old" };
      for (const event of JSON.parse(row.events) as Numbered<E>[]) if (event.seq >= next) events.push(event);
      next = row.last_seq + 1;
    }
    if (next !== seq + 1) return { kind: "resync", reason: "gap_too_old" };
    return { kind: "replay", events };
  }
}
