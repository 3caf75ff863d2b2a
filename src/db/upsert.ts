import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** In an upsert's DO UPDATE, the value the INSERT proposed for `column`. */
export const excluded = (column: SQLiteColumn): SQL => sql`excluded.${sql.identifier(column.name)}`;

/**
 * The DO UPDATE `set` that takes every given column from the proposed row, and the condition
 * that one of them actually differs (NULL-safe). As the upsert's `setWhere` it makes an
 * unchanged row cost no write at all: D1 bills rows written, index entries included.
 */
export function updateIfChanged<K extends string>(columns: Record<K, SQLiteColumn>): { set: Record<K, SQL>; changed: SQL } {
  const set = {} as Record<K, SQL>;
  const differs: SQL[] = [];
  for (const key of Object.keys(columns) as K[]) {
    const column = columns[key];
    set[key] = excluded(column);
    differs.push(sql`${column} IS NOT ${excluded(column)}`);
  }
  return { set, changed: sql`(${sql.join(differs, sql` OR `)})` };
}
