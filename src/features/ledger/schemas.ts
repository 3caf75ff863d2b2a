import { z } from "zod";
import { cents } from "../../lib/money";
import { pageQuery } from "../../lib/pagination";
import { LEDGER_REASONS } from "../../db/schema";

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
  createdAt: z.int(),
});

/** A page of a user's ledger, newest first, with the current balance it explains. */
export const ledgerPage = z.strictObject({ balance: z.int(), entries: z.array(ledgerEntry), nextCursor: z.string().nullable() });
export const adjustResult = z.strictObject({ entry: ledgerEntry, balance: z.int(), version: z.int() });

export type LedgerEntry = z.infer<typeof ledgerEntry>;
export type LedgerPage = z.infer<typeof ledgerPage>;
export type AdjustResult = z.infer<typeof adjustResult>;
