import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

type InsertFields<T extends SQLiteTable> = { [K in keyof Required<T["$inferInsert"]>]: SQL.Aliased };

/**
 * Select fields for `INSERT INTO table SELECT …`, in the table's column order as drizzle's
 * `insert().select()` requires; columns left out are inserted as NULL.
 *
 * Guarded writes are written this way (rather than as raw `sql` statements) because the
 * row they insert must come from the same statement that checks the guard, and drizzle's
 * D1 `batch()` cannot run raw statements that carry parameters.
 */
export function selectInColumnOrder<T extends SQLiteTable>(table: T, values: { [K in keyof T["$inferInsert"]]?: SQL }): InsertFields<T> {
  const fields: Record<string, SQL.Aliased> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    fields[key] = ((values as Record<string, SQL | undefined>)[key] ?? sql`NULL`).as(column.name);
  }
  return fields as InsertFields<T>;
}

/** A bound value inside a select list. */
export const bound = (v: string | number | null): SQL => sql`${v}`;

/** D1 binds at most 100 parameters per statement. */
export const D1_MAX_BOUND_PARAMETERS = 100;

/**
 * Splits a multi-row insert into slices that each stay within D1's parameter limit; the slices
 * go into one batch, so the insert stays all-or-nothing.
 */
export function withinParameterLimit<T extends object>(rows: readonly T[]): T[][] {
  const perRow = Math.max(1, ...rows.map((r) => Object.keys(r).length));
  const size = Math.max(1, Math.floor(D1_MAX_BOUND_PARAMETERS / perRow));
  const slices: T[][] = [];
  for (let i = 0; i < rows.length; i += size) slices.push(rows.slice(i, i + size));
  return slices;
}
