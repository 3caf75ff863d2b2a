import { z } from "zod";
import { inventoryItem } from "../inventory/schemas";

/** An empty body opens one copy. Unknown fields are refused: they usually mean a client bug. */
export const openBody = z
  .object({
    count: z.number().int("must be a whole number").min(1, "must be at least 1").max(5, "must be at most 5").default(1),
  })
  .strict();

export const openingRef = z.object({ id: z.uuid("is not an opening id") });

/** An item as just won: the inventory item plus the numbers that prove the roll. */
export const wonItem = inventoryItem.extend({ nonce: z.int(), roll: z.int() });

export const seedRef = z.strictObject({ id: z.string(), hash: z.string(), clientSeed: z.string() });

export const openResult = z.strictObject({
  ledgerEntryId: z.string(),
  caseId: z.string(),
  caseVersion: z.int(),
  count: z.int(),
  price: z.int(),
  total: z.int(),
  /** Balance after the charge, integer cents. */
  balance: z.int(),
  /** Account version after the charge (see balance:updated). */
  version: z.int(),
  seed: seedRef,
  items: z.array(wonItem),
});

export const openingProof = z.strictObject({
  opening: wonItem.extend({ caseVersion: z.int(), price: z.int(), clientSeed: z.string(), seedId: z.string() }),
  seed: z.strictObject({ id: z.string(), hash: z.string(), revealed: z.boolean(), serverSeed: z.string().nullable() }),
  /** The case exactly as it was rolled against: items in order with their weights. */
  revision: z.strictObject({
    name: z.string(),
    price: z.int(),
    totalWeight: z.int(),
    items: z.array(z.strictObject({ id: z.string(), name: z.string(), weight: z.int(), chancePercent: z.string() })),
  }),
  algorithm: z.string(),
});

/** The player's standing with every active free case: when each may be opened next. */
export const freeCaseList = z.strictObject({
  /** The server's clock when it answered (Unix ms), so a client can count down without trusting its own. */
  serverTime: z.int(),
  cases: z.array(
    z.strictObject({
      caseId: z.string(),
      slug: z.string(),
      cooldownSeconds: z.int(),
      lastOpenedAt: z.int().nullable(),
      /** Unix ms of the next free open; null: it may be opened now. */
      nextOpenAt: z.int().nullable(),
    }),
  ),
});

export type WonItem = z.infer<typeof wonItem>;
export type FreeCaseList = z.infer<typeof freeCaseList>;
export type OpenResult = z.infer<typeof openResult>;
export type OpeningProof = z.infer<typeof openingProof>;
