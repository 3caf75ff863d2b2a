import { randomToken } from "../lib/crypto";
import type { PrivateEvent } from "./events";
import { isValidCounter, isValidEpoch, type ResyncFrame, type SequencedEvent } from "./protocol";

/** Replay log length: a client away for more events than this refetches over REST instead. */
export const REPLAY_LOG_LIMIT = 500;

export interface StreamPosition {
  epoch: string;
  seq: number;
}

export type Catch =
  | { kind: "replay"; events: SequencedEvent[] }
  | { kind: "resync"; reason: ResyncFrame["reason"] };

/**
 * A hub's numbered event stream in its SQLite storage. The epoch is minted with the storage, so a
 * hub whose storage was lost can never be mistaken for the one a client remembers.
 */
export class ReplayLog {
  constructor(private readonly sql: SqlStorage) {
    // Hubs construct this on every wake-up; IF NOT EXISTS makes that a cheap no-op.
    sql.exec("CREATE TABLE IF NOT EXISTS stream (id INTEGER PRIMARY KEY CHECK (id = 1), epoch TEXT NOT NULL, seq INTEGER NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, event TEXT NOT NULL)");
  }

  position(): StreamPosition {
    const existing = this.sql.exec<{ epoch: string; seq: number }>("SELECT epoch, seq FROM stream WHERE id = 1").toArray()[0];
    if (existing) return existing;
    const fresh = { epoch: randomToken(9), seq: 0 };
    this.sql.exec("INSERT INTO stream (id, epoch, seq) VALUES (1, ?, ?)", fresh.epoch, fresh.seq);
    return fresh;
  }

  /** Numbers the events, stores them and trims the log; returns them with their seq. */
  append(events: PrivateEvent[]): { epoch: string; events: SequencedEvent[] } {
    const { epoch, seq } = this.position();
    const sequenced: SequencedEvent[] = events.map((event, i) => ({ ...event, seq: seq + i + 1 }));
    const last = seq + events.length;
    // Synchronous SQL writes commit together, and the output gate holds any send that follows until
    // they are durable: a client never sees a seq that a restarted hub would not remember.
    for (const event of sequenced) this.sql.exec("INSERT INTO log (seq, event) VALUES (?, ?)", event.seq, JSON.stringify(event));
    this.sql.exec("UPDATE stream SET seq = ? WHERE id = 1", last);
    this.sql.exec("DELETE FROM log WHERE seq <= ?", last - REPLAY_LOG_LIMIT);
    return { epoch, events: sequenced };
  }

  /** What a client holding `from` missed, or why it has to resync instead. */
  after(from: { since: number; epoch: string }): Catch {
    const { epoch, seq } = this.position();
    if (!isValidEpoch(from.epoch) || !isValidCounter(from.since) || from.epoch !== epoch) return { kind: "resync", reason: "epoch_changed" };
    if (from.since > seq) return { kind: "resync", reason: "ahead_of_server" };
    if (from.since === seq) return { kind: "replay", events: [] };
    const oldest = this.sql.exec<{ oldest: number | null }>("SELECT MIN(seq) AS oldest FROM log").one().oldest;
    if (oldest === null || oldest > from.since + 1) return { kind: "resync", reason: "gap_too_old" };
    const events = this.sql
      .exec<{ event: string }>("SELECT event FROM log WHERE seq > ? ORDER BY seq", from.since)
      .toArray()
      .map((row) => JSON.parse(row.event) as SequencedEvent);
    return { kind: "replay", events };
  }
}
