import { eq, sql } from "drizzle-orm";
import { constraintFailed, type Db } from "../../db/client";
import { cases, type CaseItemRow, type RevisionItem } from "../../db/schema";
import { conflict } from "../../http/errors";
import { now } from "../../lib/time";
import { toAdminCaseDetail, toRevisionItem } from "./model";
import { writeCaseItems } from "./item-writes";
import { bumpCatalogVersion, caseWithItemsStatements, snapshotRevision, toCaseWithItems, type CaseWithItems } from "./queries";
import type { AdminCaseDetail, CaseInput } from "./schemas";

export interface CaseChange {
  detail: AdminCaseDetail | null;
  caseId: string;
  catalogVersion: number;
  action: "created" | "updated" | "deleted";
}

/**
 * Creates a case (no `existing`) or replaces the one the caller read, all in one batch: the case row with a
 * bumped version, its items, an immutable revision for verifying future openings, and the
 * catalogue version the lobby event carries.
 */
export async function saveCase(db: Db, input: CaseInput, existing?: CaseWithItems): Promise<CaseChange> {
  const at = now();
  const existingId = existing?.row.id;
  const caseId = existingId ?? crypto.randomUUID();
  const unclaimed = new Set(existing?.items.map((i) => i.id));
  // An id from another case, a made-up one or one an earlier item already took is not trusted: that
  // item is new. Each kept id is taken once, so two items never upsert onto one row.
  const idFor = (id: string | undefined) => (id && unclaimed.delete(id) ? id : crypto.randomUUID());
  const items: RevisionItem[] = input.items.map((item) => toRevisionItem({ ...item, id: idFor(item.id) }));
  const freeCooldownSeconds = input.free ? input.freeCooldownSeconds : null;
  const caseFields = { slug: input.slug, name: input.name, imageUrl: input.imageUrl, price: input.price, freeCooldownSeconds, active: input.active, updatedAt: at };

  try {
    const writeCase = existingId
      ? db.update(cases).set({ ...caseFields, version: sql`${cases.version} + 1` }).where(eq(cases.id, caseId))
      : db.insert(cases).values({ id: caseId, ...caseFields, version: 1, createdAt: at });
    const itemRows: CaseItemRow[] = items.map((item, position) => ({ ...item, caseId, position }));
    // One round trip: the case row is read back (version, timestamps) after its write; the items
    // are exactly `itemRows`, written in the same batch so the save stays all-or-nothing.
    const [, , catalog, rows] = await db.batch([
      writeCase,
      snapshotRevision(db, caseId, at, JSON.stringify(items)),
      bumpCatalogVersion(db),
      db.select().from(cases).where(eq(cases.id, caseId)),
      ...writeCaseItems(db, caseId, itemRows),
    ]);
    const row = rows[0];
    const detail = row ? { row, items: itemRows } : null;
    return {
      detail: detail && toAdminCaseDetail(detail.row, detail.items),
      caseId,
      catalogVersion: catalog[0]?.version ?? 0,
      action: existingId ? "updated" : "created",
    };
  } catch (err) {
    if (constraintFailed(err, "cases.slug")) throw conflict("slug_taken", `Another case already uses the slug "${input.slug}".`);
    throw err;
  }
}

/** Activates or deactivates a case. The version moves on, with a revision identical but for the version. */
export async function setCaseActive(db: Db, existing: CaseWithItems, active: boolean): Promise<CaseChange> {
  const caseId = existing.row.id;
  const at = now();
  const [, , catalog, rows, savedItems] = await db.batch([
    db.update(cases).set({ active, version: sql`${cases.version} + 1`, updatedAt: at }).where(eq(cases.id, caseId)),
    snapshotRevision(db, caseId, at),
    bumpCatalogVersion(db),
    ...caseWithItemsStatements(db, caseId),
  ]);
  const detail = toCaseWithItems(rows, savedItems);
  return { detail: detail && toAdminCaseDetail(detail.row, detail.items), caseId, catalogVersion: catalog[0]?.version ?? 0, action: "updated" };
}

/** Deletes a case and its items. Its revisions stay, so past openings remain verifiable. */
export async function deleteCase(db: Db, existing: CaseWithItems): Promise<CaseChange> {
  const caseId = existing.row.id;
  const results = await db.batch([db.delete(cases).where(eq(cases.id, caseId)), bumpCatalogVersion(db)]);
  return { detail: null, caseId, catalogVersion: results[1][0]?.version ?? 0, action: "deleted" };
}

