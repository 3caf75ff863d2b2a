import { and, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { serverSeeds, users } from "../../db/schema";

export type SeedRow = typeof serverSeeds.$inferSelect;

export const isActiveSeed = (userId: string) => and(eq(serverSeeds.userId, userId), isNull(serverSeeds.revealedAt));

/** The active seed with the user's next nonce, read together. */
export function activeSeedQuery(db: Db, userId: string) {
  // Aliased: server_seeds has a next_nonce column too, and D1 rows are keyed by column name.
  const nextNonce = sql<number>`${users.nextNonce}`.as("user_next_nonce");
  return db.select({ seed: serverSeeds, nextNonce }).from(serverSeeds).innerJoin(users, eq(users.id, serverSeeds.userId)).where(isActiveSeed(userId));
}

/** The user's most recently revealed seeds. */
export function revealedSeedsQuery(db: Db, userId: string, limit: number) {
  return db
    .select()
    .from(serverSeeds)
    .where(and(eq(serverSeeds.userId, userId), isNotNull(serverSeeds.revealedAt)))
    .orderBy(desc(serverSeeds.revealedAt))
    .limit(limit);
}
