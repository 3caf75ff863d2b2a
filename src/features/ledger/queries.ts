import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { ledger, users, type LedgerRow } from "../../db/schema";
import { encodeCursor, olderThan, type Cursor } from "../../lib/pagination";
import type { LedgerEntry, LedgerPage } from "./schemas";


export function toLedgerEntry(row: LedgerRow): LedgerEntry {
  return { id: row.id, delta: row.delta, balanceAfter: row.balanceAfter, reason: row.reason, ref: row.ref, note: row.note, createdAt: row.createdAt };
}

/** A user's ledger, newest first, with the current balance it explains. */
export async function listLedger(db: Db, userId: string, options: { limit: number; cursor?: Cursor }): Promise<LedgerPage> {
  const [balanceRows, rows] = await db.batch([
    db.select({ balance: users.balance }).from(users).where(eq(users.id, userId)),
    db
      .select()
      .from(ledger)
      .where(and(eq(ledger.userId, userId), options.cursor ? olderThan(ledger.createdAt, ledger.id, options.cursor) : undefined))
      .orderBy(desc(ledger.createdAt), desc(ledger.id))
      .limit(options.limit + 1),
  ]);
  return {
    balance: balanceRows[0]?.balance ?? 0,
    entries: rows.slice(0, options.limit).map(toLedgerEntry),
    nextCursor: encodeCursor(rows, options.limit),
  };
}
