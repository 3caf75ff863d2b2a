import { and, asc, desc, eq, gt, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { caseItems, cases, openings, OPENING_STATUSES, upgrades } from "../../db/schema";
import { encodeCursor, olderThan, type Cursor } from "../../lib/pagination";
import { toUpgradeRecord } from "./model";
import type { UpgradePage, UpgradeTarget } from "./schemas";

/** Skins of active cases worth something: what the upgrader can pay out. */
const winnable = and(eq(caseItems.kind, "skin"), gt(caseItems.value, 0));

// One row per (name, value): a skin offered by several cases is one target. The other columns are
// SQLite's "bare columns" of an aggregate query, taken from the row MIN(id) picked, so the target's
// id, case and version always belong together.
const targetFields = {
  itemId: sql<string>`MIN(${caseItems.id})`.as("target_item_id"),
  caseId: caseItems.caseId,
  caseVersion: cases.version,
  name: caseItems.name,
  imageUrl: caseItems.imageUrl,
  rarity: caseItems.rarity,
  value: caseItems.value,
};

function targetsWhere(db: Db, where: SQL | undefined) {
  return db
    .select(targetFields)
    .from(caseItems)
    .innerJoin(cases, and(eq(cases.id, caseItems.caseId), eq(cases.active, true)))
    .where(and(winnable, where))
    .groupBy(caseItems.name, caseItems.value);
}

export interface TargetFilter {
  min?: number;
  max?: number;
  query?: string;
  limit: number;
  cursor?: { value: number; id: string };
}

/**
 * A page of targets, cheapest first. It reads every skin of the active cases (the catalogue is a
 * few hundred rows; no index is worth its writes on every case save for this).
 */
export async function listTargets(db: Db, filter: TargetFilter): Promise<{ items: UpgradeTarget[]; nextCursor: string | null }> {
  const pattern = filter.query ? `%${filter.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const after = filter.cursor;
  const rows = await targetsWhere(
    db,
    and(
      filter.min !== undefined ? gte(caseItems.value, filter.min) : undefined,
      filter.max !== undefined ? lte(caseItems.value, filter.max) : undefined,
      pattern ? sql`${caseItems.name} LIKE ${pattern} ESCAPE '\\'` : undefined,
    ),
  )
    .having(after ? sql`${caseItems.value} > ${after.value} OR (${caseItems.value} = ${after.value} AND MIN(${caseItems.id}) > ${after.id})` : undefined)
    .orderBy(asc(caseItems.value), sql`MIN(${caseItems.id})`)
    .limit(filter.limit + 1);
  const last = rows[filter.limit - 1];
  return { items: rows.slice(0, filter.limit), nextCursor: rows.length > filter.limit && last ? `${last.value}.${last.itemId}` : null };
}

/** The target a request names, as a batch statement: by id, or the cheapest worth ≥ multiplier × stake. */
export function targetQuery(db: Db, pick: { itemId: string } | { multiplier: number; stakedValue: SQL }) {
  if ("itemId" in pick) {
    return db
      .select({ ...targetFields, itemId: caseItems.id })
      .from(caseItems)
      .innerJoin(cases, and(eq(cases.id, caseItems.caseId), eq(cases.active, true)))
      .where(and(winnable, eq(caseItems.id, pick.itemId)));
  }
  // value ≥ stake × multiplier / 100, compared exactly in integers.
  return targetsWhere(db, sql`${caseItems.value} * 100 >= ${pick.stakedValue} * ${pick.multiplier}`)
    .orderBy(asc(caseItems.value), sql`MIN(${caseItems.id})`)
    .limit(1);
}

/** The named items of the user in any status (so a sold one is told apart from someone else's). */
export function stakedItemsQuery(db: Db, userId: string, itemIds: readonly string[]) {
  return db
    .select()
    .from(openings)
    .where(and(eq(openings.userId, userId), inArray(openings.status, OPENING_STATUSES), inArray(openings.id, [...itemIds])));
}

/** Σ value of the named items the user still owns, as SQL for the same batch. */
export function ownedValueOf(userId: string, itemIds: readonly string[]): SQL {
  return sql`(SELECT COALESCE(SUM(${openings.itemValue}), 0) FROM ${openings} WHERE ${openings.userId} = ${userId} AND ${openings.status} = 'owned' AND ${inArray(openings.id, [...itemIds])})`;
}

/** The user's upgrades, newest first: one range of the clustered key. */
export async function listUpgrades(db: Db, userId: string, options: { limit: number; cursor?: Cursor }): Promise<UpgradePage> {
  const rows = await db
    .select()
    .from(upgrades)
    .where(and(eq(upgrades.userId, userId), options.cursor ? olderThan(upgrades.createdAt, upgrades.id, options.cursor) : undefined))
    .orderBy(desc(upgrades.createdAt), desc(upgrades.id))
    .limit(options.limit + 1);
  return { upgrades: rows.slice(0, options.limit).map(toUpgradeRecord), nextCursor: encodeCursor(rows, options.limit) };
}
