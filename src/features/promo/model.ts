import type { PromoCodeRow } from "../../db/schema";
import type { PromoCodeView } from "./schemas";

/** Why a code does not redeem at `at`, or "active". Disabled wins over expired, expired over used up. */
export function statusOf(row: Pick<PromoCodeRow, "disabledAt" | "expiresAt" | "uses" | "maxUses">, at: number): PromoCodeView["status"] {
  if (row.disabledAt !== null) return "disabled";
  if (row.expiresAt !== null && row.expiresAt <= at) return "expired";
  if (row.uses >= row.maxUses) return "used_up";
  return "active";
}

export function toPromoCodeView(row: PromoCodeRow, at: number): PromoCodeView {
  return {
    id: row.id,
    code: row.code,
    amount: row.amount,
    maxUses: row.maxUses,
    uses: row.uses,
    expiresAt: row.expiresAt,
    disabledAt: row.disabledAt,
    status: statusOf(row, at),
    createdAt: row.createdAt,
  };
}
