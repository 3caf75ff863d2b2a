import { and, eq, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { ledger } from "../../db/schema";

/**
 * Idempotency keys live on the ledger row a request writes. These are the two SQL pieces every
 * keyed money route puts in its batch; `userId` may be a value or a SQL expression (a session lookup).
 */

/** The entry an earlier request with this key wrote (none without a key). */
export function priorEntryQuery(db: Db, userId: string | SQL, key: string | null) {
  return db.select().from(ledger).where(and(sql`${ledger.userId} = ${userId}`, key ? eq(ledger.idempotencyKey, key) : sql`0`));
}

/**
 * True while no entry of the user carries this key; undefined (no condition) without a key.
 * Checked as a guard rather than left to UNIQUE: SQLite checks CHECK before UNIQUE, so a retry
 * short of money would otherwise read as "insufficient balance" instead of replaying.
 */
export function keyUnused(userId: string | SQL, key: string | null): SQL | undefined {
  return key ? sql`NOT EXISTS (SELECT 1 FROM ${ledger} WHERE ${ledger.userId} = ${userId} AND ${ledger.idempotencyKey} = ${key})` : undefined;
}
