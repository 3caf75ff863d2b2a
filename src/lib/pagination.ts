import { and, eq, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { z } from "zod";

/** Keyset position "older than this row": newest-first pages stay stable while rows are added. */
export interface Cursor {
  createdAt: number;
  id: string;
}

const CURSOR_PATTERN = /^(\d{1,16})\.([A-Za-z0-9-]{1,64})$/;

/** Query-string fields shared by every paginated list. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(CURSOR_PATTERN, "is not a cursor this API returned")
    .transform((raw): Cursor => {
      const [, createdAt, id] = CURSOR_PATTERN.exec(raw) ?? [];
      return { createdAt: Number(createdAt), id: id ?? "" };
    })
    .optional(),
};

/** The cursor for the page after `rows`, which were fetched with `limit + 1` to detect a next page. */
export function encodeCursor(rows: readonly Cursor[], limit: number): string | null {
  const last = rows[limit - 1];
  return rows.length > limit && last ? `${last.createdAt}.${last.id}` : null;
}

export function olderThan(createdAt: SQLiteColumn, id: SQLiteColumn, cursor: Cursor): SQL | undefined {
  return or(lt(createdAt, cursor.createdAt), and(eq(createdAt, cursor.createdAt), lt(id, cursor.id)));
}
