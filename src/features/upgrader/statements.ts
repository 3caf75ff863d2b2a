import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { openings, serverSeeds, upgrades, users } from "../../db/schema";
import { entryWritten } from "../ledger/entry";
import { applyEntry, insertEntry, type EntryDraft } from "../ledger/guarded-entry";
import { upgradeNote } from "./model";
import type { UpgradeTarget } from "./schemas";

/** Everything an upgrade decided before writing: what it stakes, the roll and its outcome. */
export interface UpgradePlan {
  id: string;
  userId: string;
  at: number;
  itemIds: readonly string[];
  stakedValue: number;
  target: UpgradeTarget;
  houseEdge: number;
  chance: number;
  seed: { id: string; seedHash: string; clientSeed: string };
  nonce: number;
  roll: number;
  /** The item row a win adds; null for a loss. */
  wonItem: typeof openings.$inferInsert | null;
  idempotencyKey: string | null;
  requestHash: string;
}

/**
 * The upgrade as statements of one D1 batch (one transaction). The zero-delta ledger entry is written
 * only while every staked skin is still owned by the player, the nonce the roll used is still the
 * next one and the seed pair is unchanged (and, with a key, the key is unused); the account update
 * then claims that nonce on the same row, the status-guarded UPDATE moves exactly those skins to
 * `upgraded`, and the upgrade row (and a won item) follow. Both carry a foreign key to the entry:
 * when a guard said no, they abort the batch and nothing at all is written.
 */
export function upgradeStatements(db: Db, plan: UpgradePlan) {
  const entry: EntryDraft = {
    id: plan.id,
    userId: plan.userId,
    at: plan.at,
    reason: "upgrade",
    ref: plan.target.itemId,
    note: upgradeNote(plan.itemIds.length, plan.target, plan.chance, plan.wonItem !== null),
    idempotencyKey: plan.idempotencyKey,
    requestHash: plan.requestHash,
  };
  const staked = and(eq(openings.userId, plan.userId), eq(openings.status, "owned"), eq(openings.itemKind, "skin"), inArray(openings.id, [...plan.itemIds]));
  const stillTrue = and(
    eq(users.nextNonce, plan.nonce),
    sql`EXISTS (SELECT 1 FROM ${serverSeeds} WHERE ${serverSeeds.id} = ${plan.seed.id} AND ${serverSeeds.clientSeed} = ${plan.seed.clientSeed} AND ${serverSeeds.revealedAt} IS NULL)`,
    sql`(SELECT COUNT(*) FROM ${openings} WHERE ${staked}) = ${plan.itemIds.length}`,
  );
  return {
    upgrade: [
      insertEntry(db, entry, { amount: 0, guard: stillTrue }),
      applyEntry(db, entry, 0, { nextNonce: sql`${users.nextNonce} + 1` }),
      db
        .update(openings)
        .set({ status: "upgraded", settledLedgerId: plan.id, settledAt: plan.at })
        .where(and(staked, entryWritten(plan.userId, plan.at, plan.id)))
        .returning(),
      db.insert(upgrades).values(upgradeRow(plan)),
    ] as const,
    win: plan.wonItem ? db.insert(openings).values(plan.wonItem).returning() : null,
  };
}

function upgradeRow(plan: UpgradePlan): typeof upgrades.$inferInsert {
  return {
    id: plan.id,
    userId: plan.userId,
    seedId: plan.seed.id,
    clientSeed: plan.seed.clientSeed,
    nonce: plan.nonce,
    roll: plan.roll,
    stakedCount: plan.itemIds.length,
    stakedValue: plan.stakedValue,
    houseEdge: plan.houseEdge,
    chance: plan.chance,
    targetItemId: plan.target.itemId,
    targetCaseId: plan.target.caseId,
    targetCaseVersion: plan.target.caseVersion,
    targetName: plan.target.name,
    targetImageUrl: plan.target.imageUrl,
    targetRarity: plan.target.rarity,
    targetValue: plan.target.value,
    wonOpeningId: plan.wonItem?.id ?? null,
    createdAt: plan.at,
  };
}

/** The row a win adds: the target as an item of its case revision, rolled by the upgrade. */
export function wonItemRow(plan: Omit<UpgradePlan, "wonItem">): typeof openings.$inferInsert {
  return {
    id: crypto.randomUUID(),
    userId: plan.userId,
    caseId: plan.target.caseId,
    caseVersion: plan.target.caseVersion,
    // What the item cost: the value staked for it.
    price: plan.stakedValue,
    ledgerId: plan.id,
    seedId: plan.seed.id,
    clientSeed: plan.seed.clientSeed,
    nonce: plan.nonce,
    roll: plan.roll,
    itemId: plan.target.itemId,
    itemName: plan.target.name,
    itemImageUrl: plan.target.imageUrl,
    itemRarity: plan.target.rarity,
    itemValue: plan.target.value,
    itemKind: "skin",
    status: "owned",
    source: "upgrade",
    createdAt: plan.at,
  };
}
