import type { UpgradeRow } from "../../db/schema";
import { formatChance } from "./rules";
import type { UpgradeRecord, UpgradeTarget } from "./schemas";

export function targetOf(row: UpgradeRow): UpgradeTarget {
  return {
    itemId: row.targetItemId,
    caseId: row.targetCaseId,
    caseVersion: row.targetCaseVersion,
    name: row.targetName,
    imageUrl: row.targetImageUrl,
    rarity: row.targetRarity,
    value: row.targetValue,
  };
}

export function toUpgradeRecord(row: UpgradeRow): UpgradeRecord {
  return {
    id: row.id,
    won: row.wonOpeningId !== null,
    chance: row.chance,
    roll: row.roll,
    nonce: row.nonce,
    houseEdge: row.houseEdge,
    seedId: row.seedId,
    clientSeed: row.clientSeed,
    stakedCount: row.stakedCount,
    stakedValue: row.stakedValue,
    target: targetOf(row),
    wonItemId: row.wonOpeningId,
    createdAt: row.createdAt,
  };
}

/** What the history page says about an upgrade's zero-delta entry: the ledger explains every item. */
export function upgradeNote(stakedCount: number, target: UpgradeTarget, chance: number, won: boolean): string {
  return `${stakedCount} skin${stakedCount === 1 ? "" : "s"} → ${target.name} at ${formatChance(chance)}: ${won ? "won" : "lost"}`;
}
