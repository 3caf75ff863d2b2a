import { constraintFailed, type Db } from "../../db/client";
import { priorEntryQuery } from "./idempotency-guards";
import { theEntry } from "./entry";
import { applyEntry, assertReplayOf, insertEntry, type EntryDraft } from "./guarded-entry";
import { ledger } from "../../db/schema";
import { notFound, unprocessable } from "../../http/errors";
import { now } from "../../lib/time";
import { toLedgerEntry } from "./queries";
import type { AdjustResult as AdjustResponse } from "./schemas";

export interface Adjustment {
  userId: string;
  actorId: string;
  /** Positive credits, negative debits; integer cents, never zero. */
  amount: number;
  reason: string;
  idempotencyKey: string | null;
  requestHash: string;
}

export interface AdjustResult extends AdjustResponse {
  replayed: boolean;
}

/** An admin credit or debit: one ledger row and the balance in one batch; a debit cannot overdraw. */
export async function adjustBalance(db: Db, adj: Adjustment): Promise<AdjustResult> {
  const draft: EntryDraft = {
    id: crypto.randomUUID(),
    userId: adj.userId,
    at: now(),
    reason: adj.amount > 0 ? "admin_credit" : "admin_debit",
    note: adj.reason,
    actorId: adj.actorId,
    idempotencyKey: adj.idempotencyKey,
    requestHash: adj.requestHash,
  };
  try {
    const [prior, , balanceRows, entryRows] = await db.batch([
      priorEntryQuery(db, adj.userId, adj.idempotencyKey),
      insertEntry(db, draft, { amount: adj.amount }),
      applyEntry(db, draft, adj.amount),
      db.select().from(ledger).where(theEntry(draft.userId, draft.at, draft.id)),
    ]);
    const first = prior[0];
    if (first) {
      const entry = assertReplayOf(first, ["admin_credit", "admin_debit"], adj.requestHash);
      return { entry: toLedgerEntry(entry), balance: entry.balanceAfter, version: entry.accountVersion, replayed: true };
    }
    const after = balanceRows[0];
    const entry = entryRows[0];
    if (!after || !entry) throw notFound("User");
    return { entry: toLedgerEntry(entry), balance: after.balance, version: after.version, replayed: false };
  } catch (err) {
    if (constraintFailed(err, "balance")) throw unprocessable("insufficient_balance", "The debit is larger than the user's balance.");
    throw err;
  }
}
