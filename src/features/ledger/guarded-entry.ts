import { and, eq, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client";
import { selectInColumnOrder, bound } from "../../db/insert-select";
import { ledger, users, type LedgerRow } from "../../db/schema";
import { assertSameRequest } from "../../http/idempotency";
import { unprocessable } from "../../http/errors";
import { entryDelta, entryWritten } from "./entry";
import { keyUnused } from "./idempotency-guards";

/**
 * The one way a balance changes: a ledger row and the balance update that applies it, as two
 * statements of the caller's D1 batch (a batch is one transaction). The row is written by an
 * `INSERT … SELECT` that carries every guard, so it exists only when they all hold; the update
 * applies exactly that row's delta and matches nothing without it; `CHECK (balance >= 0)` on
 * both aborts an overdraw. Statements that must follow only a written entry guard on
 * {@link entryWritten}. An idempotency key is guarded here too (see keyUnused for why not by
 * UNIQUE alone).
 */
export interface EntryDraft {
  id: string;
  userId: string;
  at: number;
  reason: LedgerRow["reason"];
  ref?: string | null;
  note?: string | null;
  actorId?: string | null;
  idempotencyKey: string | null;
  requestHash: string;
}

/**
 * Where the entry's delta comes from: a known amount read against the account row itself, or
 * an aggregate over rows of another table (a settlement sums the items it flips), in which case
 * no entry is written when those rows are none.
 */
export type EntrySource =
  | { amount: number; guard?: SQL }
  | { sum: SQL; from: SQLiteTable; where: SQL | undefined };

export function insertEntry(db: Db, draft: EntryDraft, source: EntrySource) {
  const written = {
    id: bound(draft.id),
    reason: bound(draft.reason),
    ref: bound(draft.ref ?? null),
    note: bound(draft.note ?? null),
    actorId: bound(draft.actorId ?? null),
    idempotencyKey: bound(draft.idempotencyKey),
    requestHash: bound(draft.idempotencyKey ? draft.requestHash : null),
    createdAt: bound(draft.at),
  };
  const unused = keyUnused(draft.userId, draft.idempotencyKey);
  if ("amount" in source) {
    return db.insert(ledger).select(
      db
        .select(
          selectInColumnOrder(ledger, {
            ...written,
            userId: sql`${users.id}`,
            delta: bound(source.amount),
            balanceAfter: sql`${users.balance} + ${source.amount}`,
            accountVersion: sql`${users.version} + 1`,
          }),
        )
        .from(users)
        .where(and(eq(users.id, draft.userId), unused, source.guard)),
    );
  }
  const account = (column: typeof users.balance | typeof users.version) => sql`(SELECT ${column} FROM ${users} WHERE ${users.id} = ${draft.userId})`;
  return db.insert(ledger).select(
    db
      .select(
        selectInColumnOrder(ledger, {
          ...written,
          userId: bound(draft.userId),
          delta: source.sum,
          balanceAfter: sql`${account(users.balance)} + ${source.sum}`,
          accountVersion: sql`${account(users.version)} + 1`,
        }),
      )
      .from(source.from)
      .where(and(source.where, unused))
      .having(sql`COUNT(*) > 0`),
  );
}

/**
 * The balance update that applies the entry, returning the balance and account version after it.
 * `amount` is the entry's delta when the caller knows it (saves reading it back); `also` sets more
 * columns of the account in the same statement.
 */
export function applyEntry(db: Db, draft: EntryDraft, amount: number | null, also: Partial<Record<"nextNonce", SQL>> = {}) {
  const delta = amount ?? entryDelta(draft.userId, draft.at, draft.id);
  return db
    .update(users)
    .set({ balance: sql`${users.balance} + ${delta}`, version: sql`${users.version} + 1`, ...also })
    .where(and(eq(users.id, draft.userId), entryWritten(draft.userId, draft.at, draft.id)))
    .returning({ balance: users.balance, version: users.version });
}

/**
 * An entry an earlier request with the same key wrote, checked to be a replay of this request:
 * the same operation and parameters, or 422 (a key is never reused for something else).
 */
export function assertReplayOf(entry: LedgerRow, reasons: readonly LedgerRow["reason"][], requestHash: string): LedgerRow {
  assertSameRequest(entry.requestHash, requestHash);
  if (!reasons.includes(entry.reason)) throw unprocessable("idempotency_key_reused", "This Idempotency-Key was already used for a different request.");
  return entry;
}
