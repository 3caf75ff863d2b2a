import type { OpeningRow } from "../../db/schema";
import type { InventoryItem } from "../../realtime/events";

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
    createdAt: row.createdAt,
  };
}

/** An item as just won: the inventory item plus the numbers that prove the roll. */
export interface WonItem extends InventoryItem {
  nonce: number;
  roll: number;
}

export const toWonItem = (row: OpeningRow): WonItem => ({ ...toInventoryItem(row), nonce: row.nonce, roll: row.roll });

export interface OpenResult {
  ledgerEntryId: string;
  caseId: string;
  caseVersion: number;
  count: number;
  price: number;
  total: number;
  /** Balance after the charge, integer cents. */
  balance: number;
  /** Account version after the charge (see balance:updated). */
  version: number;
  seed: { id: string; hash: string; clientSeed: string };
  items: WonItem[];
}
