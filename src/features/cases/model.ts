import type { CaseItemRow, CaseRow, RevisionItem } from "../../db/schema";
import { economicsOf, oddsOf } from "./odds";
import type { AdminCaseDetail, CaseDetail, CaseSummary } from "./schemas";

/** The fields of an item that a revision snapshots (and that every view shows). */
export function toRevisionItem(item: RevisionItem): RevisionItem {
  return { id: item.id, name: item.name, imageUrl: item.imageUrl, rarity: item.rarity, value: item.value, kind: item.kind, weight: item.weight };
}

export function toCaseSummary(row: CaseRow): CaseSummary {
  const free = row.freeCooldownSeconds !== null;
  return { id: row.id, slug: row.slug, name: row.name, imageUrl: row.imageUrl, price: row.price, free, freeCooldownSeconds: row.freeCooldownSeconds, version: row.version };
}

export function toCaseDetail(row: CaseRow, items: readonly CaseItemRow[]): CaseDetail {
  const odds = oddsOf(items.map((i) => i.weight));
  return {
    ...toCaseSummary(row),
    totalWeight: odds.totalWeight,
    items: items.map((item, i) => ({
      ...toRevisionItem(item),
      chance: odds.items[i]?.chance ?? 0,
      chancePercent: odds.items[i]?.chancePercent ?? "0.0000",
    })),
  };
}

export function toAdminCaseDetail(row: CaseRow, items: readonly CaseItemRow[]): AdminCaseDetail {
  return {
    ...toCaseDetail(row, items),
    active: row.active,
    ...economicsOf(items, row.price),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
