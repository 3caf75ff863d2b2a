import { and, asc, desc, eq, or, sql } from "drizzle-orm";
import { selectInColumnOrder, bound } from "../../db/insert-select";
import type { Db } from "../../db/client";
import { caseItems, caseRevisions, cases, catalogState, type CaseItemRow, type CaseRow } from "../../db/schema";

/** Matches a case by id or by slug, so URLs can use either. */
export const byIdOrSlug = (ref: string) => or(eq(cases.id, ref), eq(cases.slug, ref));

/** Public catalogue: active cases and the catalogue version, in one round trip. Reads no item or opening rows. */
export async function listActiveCases(db: Db): Promise<{ version: number; cases: CaseRow[] }> {
  const [state, rows] = await db.batch([
    db.select({ version: catalogState.version }).from(catalogState).where(eq(catalogState.id, 1)),
    db.select().from(cases).where(eq(cases.active, true)).orderBy(asc(cases.price), asc(cases.name)),
  ]);
  return { version: state[0]?.version ?? 0, cases: rows };
}

export async function listAllCases(db: Db): Promise<CaseWithItems[]> {
  const [rows, items] = await db.batch([
    db.select().from(cases).orderBy(desc(cases.updatedAt)),
    db.select().from(caseItems).orderBy(asc(caseItems.caseId), asc(caseItems.position)),
  ]);
  const byCase = new Map<string, CaseItemRow[]>();
  for (const item of items) {
    const list = byCase.get(item.caseId);
    if (list) list.push(item);
    else byCase.set(item.caseId, [item]);
  }
  return rows.map((row) => ({ row, items: byCase.get(row.id) ?? [] }));
}

/** Reads of one case (by id or slug) and its items in display order, as batch statements. */
export function caseWithItemsStatements(db: Db, ref: string) {
  return [
    db.select().from(cases).where(byIdOrSlug(ref)),
    db
      .select({ item: caseItems })
      .from(caseItems)
      .innerJoin(cases, eq(cases.id, caseItems.caseId))
      .where(byIdOrSlug(ref))
      .orderBy(asc(caseItems.position)),
  ] as const;
}

export interface CaseWithItems {
  row: CaseRow;
  items: CaseItemRow[];
}

/** Shapes the results of {@link caseWithItemsStatements}. */
export function toCaseWithItems(rows: CaseRow[], items: { item: CaseItemRow }[]): CaseWithItems | null {
  const row = rows[0];
  return row ? { row, items: items.map((r) => r.item) } : null;
}

/** A case with its items in display order, or null: one round trip. */
export async function getCaseWithItems(db: Db, ref: string): Promise<CaseWithItems | null> {
  const [rows, items] = await db.batch(caseWithItemsStatements(db, ref));
  return toCaseWithItems(rows, items);
}

/** The catalogue version after this statement runs: every case change bumps it in the same batch. */
export function bumpCatalogVersion(db: Db) {
  return db
    .insert(catalogState)
    .values({ id: 1, version: 1 })
    .onConflictDoUpdate({ target: catalogState.id, set: { version: sql`${catalogState.version} + 1` } })
    .returning({ version: catalogState.version });
}

/**
 * Snapshot the case as it now is under its current version (read inside the batch, after the
 * version bump). `itemsJson` is the items with weights; omitted, the previous revision's are kept.
 */
export function snapshotRevision(db: Db, caseId: string, at: number, itemsJson?: string) {
  const fields = selectInColumnOrder(caseRevisions, {
    caseId: sql`${cases.id}`,
    version: sql`${cases.version}`,
    name: sql`${cases.name}`,
    price: sql`${cases.price}`,
    items: itemsJson === undefined ? sql`${caseRevisions.items}` : bound(itemsJson),
    createdAt: bound(at),
  });
  const current = db.select(fields).from(cases);
  return db.insert(caseRevisions).select(
    itemsJson === undefined
      ? current
          .innerJoin(caseRevisions, and(eq(caseRevisions.caseId, cases.id), eq(caseRevisions.version, sql`${cases.version} - 1`)))
          .where(eq(cases.id, caseId))
      : current.where(eq(cases.id, caseId)),
  );
}
