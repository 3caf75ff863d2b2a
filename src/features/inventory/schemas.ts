import { z } from "zod";
import { ITEM_SOURCES, OPENING_STATUSES } from "../../db/schema";
import { pageQuery } from "../../lib/pagination";
import { itemFace } from "../cases/schemas";

/** Claim or sell one item by id, or every eligible item with `{ "all": true }`. */
export const settleBody = z.union([
  z.object({ itemId: z.uuid("is not an item id") }).strict(),
  z.object({ all: z.literal(true) }).strict(),
], { error: 'Send { "itemId": "…" } for one item or { "all": true } for every eligible item.' });

export const inventoryQuery = z.object({
  ...pageQuery,
  status: z.enum([...OPENING_STATUSES, "all"]).default("owned"),
});

/** A won item as the player holds it (the opening row's view). */
export const inventoryItem = z.strictObject({
  id: z.string(),
  caseId: z.string(),
  itemId: z.string(),
  ...itemFace,
  status: z.enum(OPENING_STATUSES),
  /** `upgrade`: won in the upgrader (verify it with its upgrade, not as a case opening). */
  source: z.enum(ITEM_SOURCES),
  createdAt: z.int(),
});

export const inventoryPage = z.strictObject({
  /** The account version the page was read at; compare with inventory:updated events. */
  version: z.int(),
  items: z.array(inventoryItem),
  nextCursor: z.string().nullable(),
});

export const settleResult = z.strictObject({
  action: z.enum(["claim", "sell"]),
  itemIds: z.array(z.string()),
  credited: z.int(),
  balance: z.int(),
  version: z.int(),
  /** Null when nothing was eligible: no entry was written. */
  ledgerEntryId: z.string().nullable(),
});

export type InventoryItem = z.infer<typeof inventoryItem>;
export type InventoryPage = z.infer<typeof inventoryPage>;
export type SettleResult = z.infer<typeof settleResult>;
