import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { openings, OPENING_STATUSES, users, type OpeningRow } from "../../db/schema";
import { encodeCursor, olderThan, type Cursor } from "../../lib/pagination";
import { toInventoryItem } from "../openings/model";
import type { InventoryPage } from "./schemas";

/** The user's items, newest first. */
export async function listInventory(
  db: Db,
  userId: string,
  options: { status: OpeningRow["status"] | "all"; limit: number; cursor?: Cursor },
): Promise<InventoryPage> {
  // One status is one range of the clustered key (user, status, created_at, id), already in page
  // order. "All" reads the page from each of the status ranges and merges them here: ordering the
  // whole history in SQL would sort every opening the player ever made for each page.
  const statuses = options.status === "all" ? OPENING_STATUSES : [options.status];
  const page = (status: OpeningRow["status"]) =>
    db
      .select()
      .from(openings)
      .where(and(eq(openings.userId, userId), eq(openings.status, status), options.cursor ? olderThan(openings.createdAt, openings.id, options.cursor) : undefined))
      .orderBy(desc(openings.createdAt), desc(openings.id))
      .limit(options.limit + 1);
  const [versionRows, ...pages] = await db.batch([db.select({ version: users.version }).from(users).where(eq(users.id, userId)), ...statuses.map(page)]);
  const rows = pages
    .flat()
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, options.limit + 1);
  return {
    version: versionRows[0]?.version ?? 0,
    items: rows.slice(0, options.limit).map(toInventoryItem),
    nextCursor: encodeCursor(rows, options.limit),
  };
}
