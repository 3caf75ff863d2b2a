import { constraintFailed, type Db } from "../../db/client";
import type { LedgerRow, OpeningRow } from "../../db/schema";
import { computeRoll, upgradeChance, upgradeWon, UPGRADE_ROLL_RANGE } from "../../fairness/verify";
import { conflict, notFound, unprocessable } from "../../http/errors";
import { now } from "../../lib/time";
import { activeSeedOf } from "../fairness/model";
import { activeSeedQuery } from "../fairness/queries";
import { priorEntryQuery } from "../ledger/idempotency-guards";
import { toInventoryItem } from "../openings/model";
import { loadUpgradeResult } from "./proof";
import { ownedValueOf, stakedItemsQuery, targetQuery } from "./queries";
import { chanceAllowed, formatChance, MAX_CHANCE, MIN_CHANCE } from "./rules";
import type { UpgradeResult } from "./schemas";
import { upgradeStatements, wonItemRow, type UpgradePlan } from "./statements";

export interface UpgradeRequest {
  userId: string;
  itemIds: readonly string[];
  /** A target by id, or the cheapest skin worth at least `multiplier` hundredths of the stake. */
  pick: { itemId: string } | { multiplier: number };
  houseEdge: number;
  idempotencyKey: string | null;
  requestHash: string;
}

export interface UpgradeOutcome {
  result: UpgradeResult;
  replayed: boolean;
}

/** Rereads after a guard said no: each time, someone else took the nonce in between. */
const MAX_ATTEMPTS = 8;

/**
 * Stakes 1–5 owned skins for a chance at a more valuable one. One batch reads the items, the
 * target, the seed pair with the next nonce and any earlier result for the key; the roll is made
 * with that nonce; one batch writes it all, every assumption re-checked in SQL (./statements.ts).
 * When a guard fails nothing is written and the upgrade is read again: the reread says why (an
 * item left: 409; the key was used: its replay) or, when only the nonce moved, rolls the next one.
 * A roll that was never written was never shown: nothing about its outcome decides the retry.
 */
export async function upgradeItems(db: Db, req: UpgradeRequest): Promise<UpgradeOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const plan = await planUpgrade(db, req);
    if ("replay" in plan) return { result: await loadUpgradeResult(db, plan.replay, req.requestHash), replayed: true };
    try {
      return { result: await writeUpgrade(db, plan), replayed: false };
    } catch (err) {
      if (!constraintFailed(err, "FOREIGN KEY")) throw err;
    }
  }
  throw conflict("upgrade_busy", "Too many rolls on your account at once. Try again.");
}

async function planUpgrade(db: Db, req: UpgradeRequest): Promise<UpgradePlan | { replay: LedgerRow }> {
  const pick = "itemId" in req.pick ? req.pick : { multiplier: req.pick.multiplier, stakedValue: ownedValueOf(req.userId, req.itemIds) };
  const [priorRows, stakedRows, seedRows, targetRows] = await db.batch([
    priorEntryQuery(db, req.userId, req.idempotencyKey),
    stakedItemsQuery(db, req.userId, req.itemIds),
    activeSeedQuery(db, req.userId),
    targetQuery(db, pick),
  ]);
  const prior = priorRows[0];
  if (prior) return { replay: prior };
  const stakedValue = assertStakeable(req.itemIds, stakedRows);
  const target = targetRows[0];
  if (!target) {
    if ("itemId" in req.pick) throw notFound("Target skin");
    throw unprocessable("no_target", "No skin in the active cases is worth that many times your stake.");
  }
  const chance = upgradeChance(stakedValue, target.value, req.houseEdge);
  if (!chanceAllowed(chance)) {
    throw unprocessable("chance_out_of_range", `The chance would be ${formatChance(chance)}; it must be from ${formatChance(MIN_CHANCE)} to ${formatChance(MAX_CHANCE)}.`);
  }
  const { seed, nextNonce } = activeSeedOf(req.userId, seedRows[0]);
  const roll = await computeRoll(seed.seed, seed.clientSeed, nextNonce, UPGRADE_ROLL_RANGE);
  const decided = {
    id: crypto.randomUUID(),
    userId: req.userId,
    at: now(),
    itemIds: req.itemIds,
    stakedValue,
    target,
    houseEdge: req.houseEdge,
    chance,
    seed: { id: seed.id, seedHash: seed.seedHash, clientSeed: seed.clientSeed },
    nonce: nextNonce,
    roll,
    idempotencyKey: req.idempotencyKey,
    requestHash: req.requestHash,
  };
  return { ...decided, wonItem: upgradeWon(roll, chance) ? wonItemRow(decided) : null };
}

/** Every named item is the player's own, still owned, and a skin: or the precise refusal. Returns Σ value. */
function assertStakeable(itemIds: readonly string[], rows: readonly OpeningRow[]): number {
  let total = 0;
  for (const id of itemIds) {
    const row = rows.find((r) => r.id === id);
    if (!row) throw notFound("Item");
    if (row.status !== "owned") throw conflict("already_settled", `This item was already ${row.status}.`);
    if (row.itemKind !== "skin") throw unprocessable("wrong_item_kind", "Only skins can be staked; claim money prizes instead.");
    total += row.itemValue;
  }
  return total;
}

async function runBatch(db: Db, plan: UpgradePlan) {
  const { upgrade, win } = upgradeStatements(db, plan);
  if (!win) return { results: await db.batch(upgrade), item: undefined };
  const results = await db.batch([...upgrade, win]);
  return { results, item: results[4][0] };
}

async function writeUpgrade(db: Db, plan: UpgradePlan): Promise<UpgradeResult> {
  const { results, item } = await runBatch(db, plan);
  const [, accountRows, stakedRows] = results;
  const account = accountRows[0];
  if (!account || stakedRows.length !== plan.itemIds.length) throw new Error("upgrade batch committed without its entry or stake");
  return {
    id: plan.id,
    won: item !== undefined,
    chance: plan.chance,
    roll: plan.roll,
    nonce: plan.nonce,
    houseEdge: plan.houseEdge,
    staked: { value: plan.stakedValue, items: stakedRows.map(toInventoryItem).sort((a, b) => (a.id < b.id ? -1 : 1)) },
    target: plan.target,
    ...(item ? { item: toInventoryItem(item) } : {}),
    balance: account.balance,
    version: account.version,
    seed: { id: plan.seed.id, hash: plan.seed.seedHash, clientSeed: plan.seed.clientSeed },
    createdAt: plan.at,
  };
}
