import { and, eq, sql } from "drizzle-orm";
import { constraintFailed, type Db } from "../../db/client";
import { selectInColumnOrder, value } from "../../db/insert-select";
import { keyUnused, priorEntryQuery } from "./idempotency-guards";
import { entryWritten, theEntry } from "./entry";
import { ledger, users } from "../../db/schema";
import { assertSameRequest } from "../../http/idempotency";
import { notFound, unprocessable } from "../../http/errors";
import { now } from "../../lib/time";
import { toLedgerEntry, type LedgerEntry } from "./queries";

export interface Adjustment {
  userId: string;
  actorId: string;
  /** Positive credits, negative debits; integer cents, never zero. */
  amount: number;
  reason: string;
  idempotencyKey: string | null;
  requestHash: string;
}

export interface AdjustResult {
  entry: LedgerEntry;
  balance: number;
  version: number;
  replayed: boolean;
}

/** An admin credit or debit: one ledger row and the balance in one batch; a debit cannot overdraw. */
export async function adjustBalance(db: Db, adj: Adjustment): Promise<AdjustResult> {
  const id = crypto.randomUUID();
  const at = now();
  const reason = adj.amount > 0 ? "admin_credit" : "admin_debit";
  try {
    const [prior, , balanceRows, entryRows] = await db.batch([
      priorEntryQuery(db, adj.userId, adj.idempotencyKey),
      db.insert(ledger).select(
        db
          .select(
            selectInColumnOrder(ledger, {
              id: value(id),
              userId: sql`${users.id}`,
              delta: value(adj.amount),
              balanceAfter: sql`${users.balance} + ${adj.amount}`,
              accountVersion: sql`${users.version} + 1`,
              reason: value(reason),
              note: value(adj.reason),
              actorId: value(adj.actorId),
              idempotencyKey: value(adj.idempotencyKey),
              requestHash: value(adj.idempotencyKey ? adj.requestHash : null),
              createdAt: value(at),
            }),
          )
          .from(users)
          .where(and(eq(users.id, adj.userId), keyUnused(adj.userId, adj.idempotencyKey))),
      ),
      db
        .update(users)
        .set({ balance: sql`${users.balance} + ${adj.amount}`, version: sql`${users.version} + 1` })
        .where(and(eq(users.id, adj.userId), entryWritten(adj.userId, at, id)))
        .returning({ balance: users.balance, version: users.version }),
      db.select().from(ledger).where(theEntry(adj.userId, at, id)),
    ]);
    const first = prior[0];
    if (first) {
      assertSameRequest(first.requestHash, adj.requestHash);
      return { entry: toLedgerEntry(first), balance: first.balanceAfter, version: first.accountVersion, replayed: true };
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
