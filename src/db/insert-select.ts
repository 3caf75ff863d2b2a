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
export const value = (v: string | number | null): SQL => sql`${v}`;
