import { z } from "zod";
import { cents } from "../../lib/money";
import { pageQuery } from "../../lib/pagination";
import { LEDGER_REASONS } from "../../db/schema";

/** How many item names a ledger entry carries (a sale of 200 skins names five and counts 200). */
export const ENTRY_ITEM_NAMES = 5;

export const ledgerQuery = z.object(pageQuery);
export const adjustBody = z.object({
  amount: cents.min(-1_000_000_000).refine((v) => v !== 0, "must not be zero"),
  reason: z.string().trim().min(3, "must be at least 3 characters").max(200),
});

export const ledgerEntry = z.strictObject({
  id: z.string(),
  delta: z.int(),
  balanceAfter: z.int(),
  reason: z.enum(LEDGER_REASONS),
  /** What the entry is about: the case opened, for openings. */
  ref: z.string().nullable(),
  /** The admin's note, for adjustments. */
  note: z.string().nullable(),
  /** The case an opening opened (its name at that revision); null for other entries. */
  caseName: z.string().nullable(),
  /** Names of the items this entry opened, claimed, sold or staked (the first five), and how many there were. */
  items: z.array(z.string()).max(ENTRY_ITEM_NAMES),
  itemCount: z.int(),
  createdAt: z.int(),
});

/** A page of a user's ledger, newest first, with the current balance it explains. */
export const ledgerPage = z.strictObject({ balance: z.int(), entries: z.array(ledgerEntry), nextCursor: z.string().nullable() });
export const adjustResult = z.strictObject({ entry: ledgerEntry, balance: z.int(), version: z.int() });

export type LedgerEntry = z.infer<typeof ledgerEntry>;
export type LedgerPage = z.infer<typeof ledgerPage>;
export type AdjustResult = z.infer<typeof adjustResult>;
