import type { OpeningRow, RevisionItem } from "../../db/schema";
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

/** The won item as an inventory row keeps it: a copy of the revision's item, so a later edit of the case changes nothing owned. */
export function itemSnapshot(item: RevisionItem): Pick<OpeningRow, "itemId" | "itemName" | "itemImageUrl" | "itemRarity" | "itemValue" | "itemKind"> {
  return { itemId: item.id, itemName: item.name, itemImageUrl: item.imageUrl, itemRarity: item.rarity, itemValue: item.value, itemKind: item.kind };
}
