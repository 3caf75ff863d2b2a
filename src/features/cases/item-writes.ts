import { and, eq, ne, or, sql } from "drizzle-orm";
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
 * `rows` must carry only ids of this case (the caller vets them against the case it read). Should
 * an id of another case get through anyway, its upsert writes NULL into the NOT NULL case_id and
 * the whole save aborts: the other case's item is never touched, and this case's revision never
 * lists an item its rows do not have. Items never change case, so that only happens to a forged id.
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
        .onConflictDoUpdate({
          target: caseItems.id,
          set: { ...set, caseId: sql`CASE WHEN ${caseItems.caseId} = ${excluded(caseItems.caseId)} THEN ${caseItems.caseId} ELSE NULL END` },
          setWhere: or(ne(caseItems.caseId, excluded(caseItems.caseId)), changed),
        }),
    ),
  ];
}
