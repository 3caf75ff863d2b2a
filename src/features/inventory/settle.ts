import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { priorEntryQuery } from "../ledger/idempotency-guards";
import { entryWritten } from "../ledger/entry";
import { applyEntry, assertReplayOf, insertEntry, type EntryDraft } from "../ledger/guarded-entry";
import { ledger, openings, users, type LedgerRow } from "../../db/schema";
import { conflict, notFound, unprocessable } from "../../http/errors";
import { now } from "../../lib/time";
import type { SettleResult } from "./schemas";

/** Claim turns money prizes into balance; sell turns skins into their value. Same mechanics. */
export const SETTLEMENTS = {
  claim: { kind: "money", status: "claimed", verb: "claimed", wrongKind: "Only money prizes can be claimed; sell skins instead." },
  sell: { kind: "skin", status: "sold", verb: "sold", wrongKind: "Only skins can be sold; claim money prizes instead." },
} as const;

export type Settlement = keyof typeof SETTLEMENTS;

export interface SettleRequest {
  userId: string;
  action: Settlement;
  itemId: string | null;
  idempotencyKey: string | null;
  requestHash: string;
}

/**
 * Settles one item or every eligible item in a single batch. The ledger row is written first,
 * summing exactly the rows the status-guarded UPDATE then flips, so an item can be credited
 * once ever: a parallel second claim finds no `owned` row and credits nothing.
 */
export async function settleItems(db: Db, req: SettleRequest): Promise<SettleResult & { replayed: boolean }> {
  const rule = SETTLEMENTS[req.action];
  const entry: EntryDraft = { id: crypto.randomUUID(), userId: req.userId, at: now(), reason: req.action, idempotencyKey: req.idempotencyKey, requestHash: req.requestHash };
  const eligible = and(
    eq(openings.userId, req.userId),
    eq(openings.status, "owned"),
    eq(openings.itemKind, rule.kind),
    req.itemId ? eq(openings.id, req.itemId) : undefined,
  );

  const [prior, entryRows, settled, balanceRows] = await db.batch([
    priorEntryQuery(db, req.userId, req.idempotencyKey),
    insertEntry(db, entry, { sum: sql`SUM(${openings.itemValue})`, from: openings, where: eligible }).returning({ delta: ledger.delta }),
    db
      .update(openings)
      .set({ status: rule.status, settledLedgerId: entry.id, settledAt: entry.at })
      .where(and(eligible, entryWritten(entry.userId, entry.at, entry.id)))
      .returning({ id: openings.id }),
    applyEntry(db, entry, null),
  ]);

  const first = prior[0];
  if (first) return { ...(await loadSettleResult(db, first, req)), replayed: true };
  const after = balanceRows[0];
  if (!after) {
    if (req.itemId) await explainUnsettled(db, req);
    const user = await db.select({ balance: users.balance, version: users.version }).from(users).where(eq(users.id, req.userId)).get();
    return { action: req.action, itemIds: [], credited: 0, balance: user?.balance ?? 0, version: user?.version ?? 0, ledgerEntryId: null, replayed: false };
  }
  return {
    action: req.action,
    itemIds: settled.map((r) => r.id),
    credited: entryRows[0]?.delta ?? 0,
    balance: after.balance,
    version: after.version,
    ledgerEntryId: entry.id,
    replayed: false,
  };
}

/** Nothing was settled for a named item: say why, precisely. */
async function explainUnsettled(db: Db, req: SettleRequest): Promise<never> {
  const rule = SETTLEMENTS[req.action];
  const item = req.itemId
    ? await db.select({ status: openings.status, kind: openings.itemKind }).from(openings).where(and(eq(openings.id, req.itemId), eq(openings.userId, req.userId))).get()
    : undefined;
  if (!item) throw notFound("Item");
  if (item.status !== "owned") throw conflict("already_settled", `This item was already ${item.status}.`);
  if (item.kind !== rule.kind) throw unprocessable("wrong_item_kind", rule.wrongKind);
  throw conflict("already_settled", `This item was already ${rule.verb}.`);
}

async function loadSettleResult(db: Db, prior: LedgerRow, req: SettleRequest): Promise<SettleResult> {
  const entry = assertReplayOf(prior, [req.action], req.requestHash);
  const rows = await db.select({ id: openings.id }).from(openings).where(and(eq(openings.settledLedgerId, entry.id), eq(openings.userId, entry.userId)));
  return {
    action: req.action,
    itemIds: rows.map((r) => r.id),
    credited: entry.delta,
    balance: entry.balanceAfter,
    version: entry.accountVersion,
    ledgerEntryId: entry.id,
  };
}
