import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { withinParameterLimit } from "../../db/insert-select";
import { excluded, updateIfChanged } from "../../db/upsert";
import { caseItems, type CaseItemRow } from "../../db/schema";

// Position is compared like any field: a reorder writes only the items that moved.
const { set, changed } = updateIfChanged({
  position: caseItems.position,
  name: caseItems.name,
  imageUrl: caseItems.imageUrl,
  rarity: caseItems.rarity,
  value: caseItems.value,
  kind: caseItems.kind,
  weight: caseItems.weight,
});

/**
 * Batch statements that leave exactly `rows` as the case's items while writing only what
 * changed: items no longer listed are deleted; the rest are upserted by id, and an item whose
 * every field is unchanged costs no write.
 *
 * `rows` must carry only ids of this case (the caller vets them against the case it read); even
 * so, an id that belongs to another case is never moved or overwritten here: its upsert does
 * nothing. Items never change case, so that only happens to a forged id.
 */
export function writeCaseItems(db: Db, caseId: string, rows: readonly CaseItemRow[]) {
  // One JSON parameter rather than one per id: a 100-item case would pass D1's 100-parameter limit.
  const keep = JSON.stringify(rows.map((r) => r.id));
  return [
    db.delete(caseItems).where(and(eq(caseItems.caseId, caseId), sql`${caseItems.id} NOT IN (SELECT value FROM json_each(${keep}))`)),
    ...withinParameterLimit(rows).map((slice) =>
      db
        .insert(caseItems)
        .values(slice)
        .onConflictDoUpdate({ target: caseItems.id, set, setWhere: and(eq(caseItems.caseId, excluded(caseItems.caseId)), changed) }),
    ),
  ];
}
