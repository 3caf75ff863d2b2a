import { and, eq, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client";
import { bound, selectInColumnOrder } from "../../db/insert-select";
import { battles, battleSeats, ledger } from "../../db/schema";
import { theEntry } from "../ledger/entry";

/** A ledger entry by its whole key: what a statement after a guarded entry is gated on. */
export interface EntryKey {
  userId: string;
  at: number;
  id: string;
}

type Row<T extends SQLiteTable> = { [K in keyof T["$inferInsert"]]?: string | number | boolean | null };

function boundRow<T extends SQLiteTable>(row: Row<T>): { [K in keyof T["$inferInsert"]]?: SQL } {
  const out: Record<string, SQL> = {};
  for (const [key, value] of Object.entries(row) as [string, string | number | boolean | null | undefined][]) {
    out[key] = bound(typeof value === "boolean" ? (value ? 1 : 0) : (value ?? null));
  }
  return out as { [K in keyof T["$inferInsert"]]?: SQL };
}

/**
 * `INSERT … SELECT` of one row that exists only when the batch wrote `entry` (selected from that
 * ledger row): the row and the money move together or not at all.
 */
export function insertIfEntry<T extends SQLiteTable>(db: Db, table: T, row: Row<T>, entry: EntryKey) {
  return db.insert(table).select(db.select(selectInColumnOrder(table, boundRow(row))).from(ledger).where(theEntry(entry.userId, entry.at, entry.id)));
}

export const seatInsert = (db: Db, row: typeof battleSeats.$inferInsert, entry: EntryKey) => insertIfEntry(db, battleSeats, row, entry);

/** True while the battle takes seats: waiting, not past its expiry, and (optionally) with exactly `taken` seats. */
export function stillWaiting(battleId: string, at: number, taken?: number): SQL {
  return sql`EXISTS (SELECT 1 FROM ${battles} WHERE ${battles.id} = ${battleId} AND ${battles.status} = 'waiting' AND ${battles.expiresAt} > ${at}${taken === undefined ? sql`` : sql` AND ${battles.seatsTaken} = ${taken}`})`;
}

/** The seat is free and the user does not sit in the battle yet. */
export function seatFree(battleId: string, seat: number, userId: string | null): SQL {
  const free = sql`NOT EXISTS (SELECT 1 FROM ${battleSeats} WHERE ${battleSeats.battleId} = ${battleId} AND ${battleSeats.seat} = ${seat})`;
  return userId === null ? free : sql`${free} AND NOT EXISTS (SELECT 1 FROM ${battleSeats} WHERE ${battleSeats.battleId} = ${battleId} AND ${battleSeats.userId} = ${userId})`;
}

/**
 * Counts `added` seats in, and when that fills the battle starts it: the same statement, so the
 * batch that takes the last seat is the one that starts the battle. Gated on the entry that paid.
 */
export function takeSeats(db: Db, battleId: string, added: number, at: number, entry: EntryKey) {
  return db
    .update(battles)
    .set({
      seatsTaken: sql`${battles.seatsTaken} + ${added}`,
      status: sql`CASE WHEN ${battles.seatsTaken} + ${added} = ${battles.seatCount} THEN 'running' ELSE 'waiting' END`,
      startedAt: sql`CASE WHEN ${battles.seatsTaken} + ${added} = ${battles.seatCount} THEN ${at} ELSE NULL END`,
      version: sql`${battles.version} + 1`,
    })
    .where(and(eq(battles.id, battleId), sql`EXISTS (SELECT 1 FROM ${ledger} WHERE ${theEntry(entry.userId, entry.at, entry.id)})`))
    .returning();
}

/** True once the batch that ends the battle has written its token: every refund or award is guarded on it. */
export const endedBy = (battleId: string, token: string): SQL =>
  sql`EXISTS (SELECT 1 FROM ${battles} WHERE ${battles.id} = ${battleId} AND ${battles.token} = ${token})`;
