import { z } from "zod";
import { cents } from "../../lib/money";

import { RARITIES } from "./rarities";

/** A free case's cooldown when the admin names none: one free open a day. */
export const FREE_COOLDOWN_DEFAULT_SECONDS = 86_400;
const FREE_COOLDOWN_MAX_SECONDS = 30 * 86_400;

const imageUrl = z
  .string()
  .trim()
  .max(500)
  .refine((v) => /^https:\/\/[^\s]+$/.test(v) || /^\/[^\s]*$/.test(v), "must be an https:// URL or a path on this site")
  .nullable()
  .default(null);

export const itemInput = z.object({
  /** Keep an existing item's id when editing; new items get one. */
  id: z.uuid().optional(),
  name: z.string().trim().min(1, "is required").max(80),
  imageUrl,
  rarity: z.enum(RARITIES),
  value: cents.min(0, "must not be negative"),
  kind: z.enum(["skin", "money"]),
  weight: z
    .number()
    .int("must be a whole number")
    .min(1, "must be greater than 0")
    .max(1_000_000_000, "must be at most 1,000,000,000"),
});

export const caseInput = z.object({
  name: z.string().trim().min(1, "is required").max(80),
  slug: z
    .string()
    .trim()
    .min(2)
    .max(60)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "may use lowercase letters, digits and single dashes")
    // URLs take a case id or a slug: a slug shaped like an id could shadow another case.
    .refine((slug) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(slug), "must not look like a case id"),
  imageUrl,
  price: cents.min(0, "must not be negative"),
  /** A free case costs nothing (price 0); each player opens it once per cooldown. */
  free: z.boolean().default(false),
  freeCooldownSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(60, "must be at least 60 seconds")
    .max(FREE_COOLDOWN_MAX_SECONDS, "must be at most 30 days")
    .default(FREE_COOLDOWN_DEFAULT_SECONDS),
  active: z.boolean().default(true),
  items: z.array(itemInput).min(1, "a case needs at least one item").max(100, "a case holds at most 100 items"),
}).superRefine((c, ctx) => {
  // The same rule as the table's CHECK, said where the form can show it.
  if (c.free && c.price !== 0) ctx.addIssue({ code: "custom", path: ["price"], message: "must be 0 for a free case" });
  if (!c.free && c.price < 1) ctx.addIssue({ code: "custom", path: ["price"], message: "must be greater than 0" });
});

export const casePatch = z.object({ active: z.boolean() }).strict();

export const caseRef = z.object({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9-]+$/, "is not a case id or slug") });

export type CaseInput = z.output<typeof caseInput>;
export type ItemInput = z.output<typeof itemInput>;
/** What a client sends to create or replace a case (defaults not yet applied). */
export type CaseBody = z.input<typeof caseInput>;
export type ItemBody = z.input<typeof itemInput>;

// Responses. The site, the SDK and the tests use these types; the API document (GET /api/openapi.json)
// is generated from these schemas; strict objects so that a field the server adds or drops is caught.

export const caseSummary = z.strictObject({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  imageUrl: z.string().nullable(),
  price: z.int(),
  /** Free: price 0, opened once per `freeCooldownSeconds` by each player (see GET /api/free-cases). */
  free: z.boolean(),
  freeCooldownSeconds: z.int().nullable(),
  version: z.int(),
});

/** What every view of an item shows of it: in a case, in an inventory, in the drops feed. */
export const itemFace = {
  name: z.string(),
  imageUrl: z.string().nullable(),
  rarity: z.string(),
  value: z.int(),
  kind: z.enum(["skin", "money"]),
};

/** The fields of an item that a case revision snapshots. */
export const revisionItem = z.strictObject({ id: z.string(), ...itemFace, weight: z.int() });

export const caseItemView = revisionItem.extend({
  /** Exact probability, weight / totalWeight. */
  chance: z.number(),
  /** Rounded to 4 decimals; the strings of one case sum to exactly "100.0000". */
  chancePercent: z.string(),
});

export const caseDetail = caseSummary.extend({ totalWeight: z.int(), items: z.array(caseItemView) });

export const adminCaseDetail = caseDetail.extend({
  active: z.boolean(),
  /** Expected value of one opening, integer cents. */
  expectedValue: z.int(),
  rtpPercent: z.number(),
  createdAt: z.int(),
  updatedAt: z.int(),
});

export const caseList = z.strictObject({ version: z.int(), currency: z.string(), cases: z.array(caseSummary) });
/** One case, and how long its reel spins (REVEAL_MS): the drops feed shows a win only after that. */
export const caseResponse = z.strictObject({ case: caseDetail, revealMs: z.int() });
export const adminCaseList = z.strictObject({ cases: z.array(adminCaseDetail) });
export const adminCaseResponse = z.strictObject({ case: adminCaseDetail });
/** A saved case and the catalogue version its `cases:updated` announces. */
export const caseSaved = z.strictObject({ case: adminCaseDetail, catalogVersion: z.int() });

export type CaseSummary = z.infer<typeof caseSummary>;
export type CaseItemView = z.infer<typeof caseItemView>;
export type CaseDetail = z.infer<typeof caseDetail>;
export type AdminCaseDetail = z.infer<typeof adminCaseDetail>;
export type CaseList = z.infer<typeof caseList>;
export type CaseResponse = z.infer<typeof caseResponse>;
export type CaseSaved = z.infer<typeof caseSaved>;
