import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { openings, users } from "../../db/schema";
import { encodeCursor, olderThan, type Cursor } from "../../lib/pagination";
import type { InventoryItem } from "../../realtime/events";
import { toInventoryItem } from "../openings/model";

export interface InventoryPage {
  /** The account version the page was read at; compare with inventory:updated events. */
  version: number;
  items: InventoryItem[];
  nextCursor: string | null;
}

/** The user's items, newest first. */
export async function listInventory(
  db: Db,
  userId: string,
  options: { status: "owned" | "claimed" | "sold" | "all"; limit: number; cursor?: Cursor },
): Promise<InventoryPage> {
  const [versionRows, rows] = await db.batch([
    db.select({ version: users.version }).from(users).where(eq(users.id, userId)),
    db
      .select()
      .from(openings)
      .where(
        and(
          eq(openings.userId, userId),
          options.status === "all" ? undefined : eq(openings.status, options.status),
          options.cursor ? olderThan(openings.createdAt, openings.id, options.cursor) : undefined,
        ),
      )
      .orderBy(desc(openings.createdAt), desc(openings.id))
      .limit(options.limit + 1),
  ]);
  return {
    version: versionRows[0]?.version ?? 0,
    items: rows.slice(0, options.limit).map(toInventoryItem),
    nextCursor: encodeCursor(rows, options.limit),
  };
}
