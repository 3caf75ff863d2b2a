import { z } from "zod";
import { cents } from "../../lib/money";

/** What players type, normalised: trimmed and upper-case, so "welcome " and "WELCOME" are one code. */
export const promoCodeText = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9_-]{3,32}$/, "must be 3–32 letters, digits, _ or -");

export const promoCodeInput = z.strictObject({
  code: promoCodeText,
  /** Credited once per account, integer cents. */
  amount: cents.min(1, "must be greater than 0").max(1_000_000, "must be at most 10,000.00"),
  /** How many accounts may redeem it. */
  maxUses: z.number().int("must be a whole number").min(1, "must be at least 1").max(1_000_000, "must be at most 1,000,000"),
  /** Unix ms after which it no longer redeems; none: it never expires. */
  expiresAt: z
    .number()
    .int("must be Unix milliseconds")
    .refine((at) => at > Date.now(), "must be in the future")
    .nullable()
    .default(null),
});

export const redeemBody = z.strictObject({ code: promoCodeText });
export const promoCodeRef = z.object({ id: z.uuid("is not a promo code id") });

export const PROMO_STATUSES = ["active", "expired", "disabled", "used_up"] as const;

export const promoCodeView = z.strictObject({
  id: z.string(),
  code: z.string(),
  amount: z.int(),
  maxUses: z.int(),
  uses: z.int(),
  expiresAt: z.int().nullable(),
  disabledAt: z.int().nullable(),
  /** Whether it redeems now; otherwise why not. */
  status: z.enum(PROMO_STATUSES),
  createdAt: z.int(),
});

export const promoCodeResponse = z.strictObject({ promoCode: promoCodeView });
export const promoCodeList = z.strictObject({ promoCodes: z.array(promoCodeView) });

export const redeemResult = z.strictObject({
  code: z.string(),
  /** What the code credited, integer cents. */
  amount: z.int(),
  balance: z.int(),
  /** Account version after the credit (see balance:updated). */
  version: z.int(),
  ledgerEntryId: z.string(),
});

export type PromoCodeInput = z.output<typeof promoCodeInput>;
export type PromoCodeView = z.infer<typeof promoCodeView>;
export type PromoCodeList = z.infer<typeof promoCodeList>;
export type RedeemResult = z.infer<typeof redeemResult>;
