import { z } from "zod";
import { pageQuery } from "../../lib/pagination";

/** Claim or sell one item by id, or every eligible item with `{ "all": true }`. */
export const settleBody = z.union([
  z.object({ itemId: z.uuid("is not an item id") }).strict(),
  z.object({ all: z.literal(true) }).strict(),
], { error: 'Send { "itemId": "…" } for one item or { "all": true } for every eligible item.' });

export const inventoryQuery = z.object({
  ...pageQuery,
  status: z.enum(["owned", "claimed", "sold", "all"]).default("owned"),
});
