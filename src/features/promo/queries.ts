import { desc, eq, sql } from "drizzle-orm";
import { constraintFailed, type Db } from "../../db/client";
import { promoCodes, type PromoCodeRow } from "../../db/schema";
import { conflict } from "../../http/errors";
import type { PromoCodeInput } from "./schemas";

export async function insertPromoCode(db: Db, input: PromoCodeInput, createdBy: string, at: number): Promise<PromoCodeRow> {
  try {
    const [row] = await db
      .insert(promoCodes)
      .values({ id: crypto.randomUUID(), code: input.code, amount: input.amount, maxUses: input.maxUses, expiresAt: input.expiresAt, createdBy, createdAt: at })
      .returning();
    if (!row) throw new Error("promo code insert returned no row");
    return row;
  } catch (err) {
    if (constraintFailed(err, "promo_codes.code")) throw conflict("promo_code_taken", `The code "${input.code}" exists already.`);
    throw err;
  }
}

/** Every code, newest first. Admins create a handful; no paging needed. */
export function listPromoCodes(db: Db): Promise<PromoCodeRow[]> {
  return db.select().from(promoCodes).orderBy(desc(promoCodes.createdAt)).limit(500);
}

/** Disables a code (the first disable's time stays); null when there is no such code. */
export async function disablePromoCode(db: Db, id: string, at: number): Promise<PromoCodeRow | null> {
  const [row] = await db
    .update(promoCodes)
    .set({ disabledAt: sql`COALESCE(${promoCodes.disabledAt}, ${at})` })
    .where(eq(promoCodes.id, id))
    .returning();
  return row ?? null;
}
