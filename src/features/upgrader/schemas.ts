import { z } from "zod";
import { MAX_CENTS } from "../../lib/money";
import { pageQuery } from "../../lib/pagination";
import { inventoryItem } from "../inventory/schemas";
import { seedRef } from "../openings/schemas";
import { MAX_STAKED_ITEMS } from "./rules";

// Requests.

const itemIds = z
  .array(z.uuid("is not an item id"))
  .min(1, "stake at least one skin")
  .max(MAX_STAKED_ITEMS, `stake at most ${MAX_STAKED_ITEMS} skins`)
  .refine((ids) => new Set(ids).size === ids.length, "lists an item twice");

/** ×1.01 to ×1000 with at most two decimals, carried on as an integer number of hundredths. */
const multiplier = z
  .number()
  .min(1.01, "must be at least 1.01")
  .max(1000, "must be at most 1000")
  .refine((m) => Math.abs(m * 100 - Math.round(m * 100)) < 1e-6, "may have at most two decimals")
  .transform((m) => Math.round(m * 100));

/**
 * The skins to stake and the skin to win: `targetItemId` names it, or `multiplier` asks the server
 * for the cheapest skin worth at least that many times the stake (one or the other, not both).
 */
export const upgradeBody = z
  .object({ itemIds, targetItemId: z.uuid("is not an item id").optional(), multiplier: multiplier.optional() })
  .strict()
  .refine((b) => (b.targetItemId === undefined) !== (b.multiplier === undefined), {
    path: ["targetItemId"],
    message: "send either targetItemId or multiplier",
  });

const TARGET_CURSOR = /^(\d{1,10})\.([0-9a-f-]{36})$/;

/** Values in cents; `query` matches the skin's name. */
export const targetsQuery = z
  .object({
    min: z.coerce.number().int().min(0).max(MAX_CENTS).optional(),
    max: z.coerce.number().int().min(0).max(MAX_CENTS).optional(),
    query: z.string().trim().max(80).optional(),
    limit: pageQuery.limit,
    cursor: z
      .string()
      .regex(TARGET_CURSOR, "is not a cursor this API returned")
      .transform((raw) => {
        const [, value, id] = TARGET_CURSOR.exec(raw) ?? [];
        return { value: Number(value), id: id ?? "" };
      })
      .optional(),
  })
  .refine((q) => q.min === undefined || q.max === undefined || q.min <= q.max, { path: ["max"], message: "must not be below min" });

export const upgradesQuery = z.object(pageQuery);
export const upgradeRef = z.object({ id: z.uuid("is not an upgrade id") });

// Responses.

/** A skin that can be won: an item of an active case, at its current value and case version. */
export const upgradeTarget = z.strictObject({
  itemId: z.string(),
  caseId: z.string(),
  caseVersion: z.int(),
  name: z.string(),
  imageUrl: z.string().nullable(),
  rarity: z.string(),
  value: z.int(),
});

export const targetPage = z.strictObject({
  /** Basis points: the chance is floor(staked × (10000 − houseEdge) / target value). */
  houseEdge: z.int(),
  minChance: z.int(),
  maxChance: z.int(),
  items: z.array(upgradeTarget),
  nextCursor: z.string().nullable(),
});

/** One upgrade as recorded, won or lost: the numbers that prove it. */
export const upgradeRecord = z.strictObject({
  id: z.string(),
  won: z.boolean(),
  /** Basis points (4750 is 47.50 %). */
  chance: z.int(),
  /** In [0, 1,000,000); won when roll < chance × 100. */
  roll: z.int(),
  nonce: z.int(),
  houseEdge: z.int(),
  seedId: z.string(),
  clientSeed: z.string(),
  stakedCount: z.int(),
  stakedValue: z.int(),
  target: upgradeTarget,
  /** The inventory id of the won item; null for a loss. */
  wonItemId: z.string().nullable(),
  createdAt: z.int(),
});

export const upgradeResult = z.strictObject({
  /** The upgrade, and the id of its zero-delta `upgrade` ledger entry. */
  id: z.string(),
  won: z.boolean(),
  chance: z.int(),
  roll: z.int(),
  nonce: z.int(),
  houseEdge: z.int(),
  staked: z.strictObject({ value: z.int(), items: z.array(inventoryItem) }),
  target: upgradeTarget,
  /** The won item, now in the inventory; absent for a loss. */
  item: inventoryItem.optional(),
  /** Unchanged by an upgrade; integer cents. */
  balance: z.int(),
  /** Account version after the upgrade (see inventory:updated). */
  version: z.int(),
  seed: seedRef,
  createdAt: z.int(),
});

export const upgradePage = z.strictObject({ upgrades: z.array(upgradeRecord), nextCursor: z.string().nullable() });

export const upgradeProof = z.strictObject({
  upgrade: upgradeRecord,
  staked: z.array(inventoryItem),
  /** The won item as it is now (it may have been sold since); null for a loss. */
  item: inventoryItem.nullable(),
  seed: z.strictObject({ id: z.string(), hash: z.string(), revealed: z.boolean(), serverSeed: z.string().nullable() }),
  algorithm: z.string(),
});

export type UpgradeBody = z.output<typeof upgradeBody>;
export type UpgradeTarget = z.infer<typeof upgradeTarget>;
export type TargetPage = z.infer<typeof targetPage>;
export type UpgradeRecord = z.infer<typeof upgradeRecord>;
export type UpgradeResult = z.infer<typeof upgradeResult>;
export type UpgradePage = z.infer<typeof upgradePage>;
export type UpgradeProof = z.infer<typeof upgradeProof>;
