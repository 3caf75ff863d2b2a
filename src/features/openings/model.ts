import type { OpeningRow } from "../../db/schema";
import type { InventoryItem } from "../inventory/schemas";
import type { WonItem } from "./schemas";

export function toInventoryItem(row: OpeningRow): InventoryItem {
  return {
    id: row.id,
    caseId: row.caseId,
    itemId: row.itemId,
    name: row.itemName,
    imageUrl: row.itemImageUrl,
    rarity: row.itemRarity,
    value: row.itemValue,
    kind: row.itemKind,
    status: row.status,
    source: row.source,
    createdAt: row.createdAt,
  };
}

export const toWonItem = (row: OpeningRow): WonItem => ({ ...toInventoryItem(row), nonce: row.nonce, roll: row.roll });
