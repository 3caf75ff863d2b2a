import { z } from "zod";
import { cents } from "../../lib/money";

export const RARITIES = ["consumer", "industrial", "milspec", "restricted", "classified", "covert", "extraordinary"] as const;

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
  price: cents.min(1, "must be greater than 0"),
  active: z.boolean().default(true),
  items: z.array(itemInput).min(1, "a case needs at least one item").max(100, "a case holds at most 100 items"),
});

export const casePatch = z.object({ active: z.boolean() }).strict();

export const caseRef = z.object({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9-]+$/, "is not a case id or slug") });

export type CaseInput = z.output<typeof caseInput>;
export type ItemInput = z.output<typeof itemInput>;
