import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { bound, selectInColumnOrder } from "../../db/insert-select";
import { promoCodes, promoRedemptions, type LedgerRow } from "../../db/schema";
import { conflict, gone, notFound, unauthorized } from "../../http/errors";
import { applyEntry, assertReplayOf, insertEntry, type EntryDraft } from "../ledger/guarded-entry";
import { keyUnused, priorEntryQuery } from "../ledger/idempotency-guards";
import { statusOf } from "./model";
import type { RedeemResult } from "./schemas";

export interface Redemption {
  userId: string;
  /** Normalised (upper-case). */
  code: string;
  idempotencyKey: string | null;
  requestHash: string;
  at: number;
}

/**
 * Redeems a promo code in one D1 batch, every rule in SQL: the redemption row is inserted only while
 * the code is enabled, unexpired and under its cap and the account has none (and the key is unused);
 * the uses counter moves only with that row and while under the cap (CHECK keeps it there); the
 * ledger entry credits the code's amount only when the row names it, and the balance update applies
 * exactly that entry. D1 runs batches one at a time, so racing redemptions never pass the cap.
 * Rows written: the redemption, the code, the entry, the account (an Idempotency-Key adds one).
 */
export async function redeemPromoCode(db: Db, r: Redemption): Promise<RedeemResult & { replayed: boolean }> {
  const entry: EntryDraft = { id: crypto.randomUUID(), userId: r.userId, at: r.at, reason: "promo", ref: r.code, idempotencyKey: r.idempotencyKey, requestHash: r.requestHash };
  const redeemedNow = sql`EXISTS (SELECT 1 FROM ${promoRedemptions} WHERE ${promoRedemptions.userId} = ${r.userId} AND ${promoRedemptions.codeId} = ${promoCodes.id} AND ${promoRedemptions.ledgerId} = ${entry.id})`;
  const thisCode = eq(promoCodes.code, r.code);
  const [prior, , , , balanceRows, codeRows, earlier] = await db.batch([
    priorEntryQuery(db, r.userId, r.idempotencyKey),
    insertRedemption(db, r, entry.id),
    db
      .update(promoCodes)
      .set({ uses: sql`${promoCodes.uses} + 1` })
      .where(and(thisCode, sql`${promoCodes.uses} < ${promoCodes.maxUses}`, redeemedNow)),
    insertEntry(db, entry, { sum: sql`SUM(${promoCodes.amount})`, from: promoCodes, where: and(thisCode, redeemedNow) }),
    applyEntry(db, entry, null),
    // Read after the writes, in the same transaction: why nothing was written, if nothing was.
    db.select().from(promoCodes).where(thisCode),
    db.select({ ledgerId: promoRedemptions.ledgerId }).from(promoRedemptions).innerJoin(promoCodes, eq(promoCodes.id, promoRedemptions.codeId)).where(and(thisCode, eq(promoRedemptions.userId, r.userId))),
  ]);
  const first = prior[0];
  if (first) return { ...replayOf(first, r.requestHash), replayed: true };
  const after = balanceRows[0];
  const code = codeRows[0];
  if (after && code) return { code: code.code, amount: code.amount, balance: after.balance, version: after.version, ledgerEntryId: entry.id, replayed: false };
  if (!code) throw notFound("Promo code");
  if (earlier[0]) throw conflict("promo_already_redeemed", "You have redeemed this code already: each account redeems a code once.");
  const status = statusOf(code, r.at);
  if (status === "disabled") throw gone("promo_code_disabled", "This code has been withdrawn.");
  if (status === "expired") throw gone("promo_code_expired", "This code has expired.");
  if (status === "used_up") throw gone("promo_code_used_up", "This code has been redeemed by as many players as it allows.");
  // An active code that wrote nothing: the account behind the session is gone.
  throw unauthorized();
}

/** The redemption row, from the code's row itself so that it exists only while every rule holds. */
function insertRedemption(db: Db, r: Redemption, ledgerId: string) {
  const usable = and(
    eq(promoCodes.code, r.code),
    sql`${promoCodes.disabledAt} IS NULL`,
    sql`(${promoCodes.expiresAt} IS NULL OR ${promoCodes.expiresAt} > ${r.at})`,
    sql`${promoCodes.uses} < ${promoCodes.maxUses}`,
    sql`NOT EXISTS (SELECT 1 FROM ${promoRedemptions} WHERE ${promoRedemptions.userId} = ${r.userId} AND ${promoRedemptions.codeId} = ${promoCodes.id})`,
    keyUnused(r.userId, r.idempotencyKey),
  );
  return db.insert(promoRedemptions).select(
    db
      .select(selectInColumnOrder(promoRedemptions, { codeId: sql`${promoCodes.id}`, userId: bound(r.userId), ledgerId: bound(ledgerId), createdAt: bound(r.at) }))
      .from(promoCodes)
      .where(usable),
  );
}

/** The first answer for a retried key, from the entry it wrote. */
function replayOf(prior: LedgerRow, requestHash: string): RedeemResult {
  const entry = assertReplayOf(prior, ["promo"], requestHash);
  return { code: entry.ref ?? "", amount: entry.delta, balance: entry.balanceAfter, version: entry.accountVersion, ledgerEntryId: entry.id };
}
