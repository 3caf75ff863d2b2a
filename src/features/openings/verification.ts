import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { caseRevisions, openings, serverSeeds } from "../../db/schema";
import { oddsOf } from "../cases/odds";
import { toWonItem } from "./model";
import type { OpeningProof } from "./schemas";

export const ALGORITHM =
  "roll = (first 8 bytes of HMAC-SHA256(key=serverSeed, msg=`${clientSeed}:${nonce}`) as uint64 * totalWeight) >> 64; " +
  "the item is the first whose cumulative weight exceeds roll; serverSeedHash = SHA-256(serverSeed)";

/**
 * Everything needed to verify one of the user's case openings; the seed is shown once rotated out.
 * An item won in the upgrader is not one (its roll is the upgrade's: GET /api/upgrader/:id).
 */
export async function getOpeningProof(db: Db, userId: string, openingId: string): Promise<OpeningProof | null> {
  const row = await db
    .select({ opening: openings, seed: serverSeeds, revision: caseRevisions })
    .from(openings)
    .innerJoin(serverSeeds, eq(serverSeeds.id, openings.seedId))
    .innerJoin(caseRevisions, and(eq(caseRevisions.caseId, openings.caseId), eq(caseRevisions.version, openings.caseVersion)))
    .where(and(eq(openings.id, openingId), eq(openings.userId, userId), eq(openings.source, "case")))
    .get();
  if (!row) return null;
  const { opening, seed, revision } = row;
  const odds = oddsOf(revision.items.map((i) => i.weight));
  const revealed = seed.revealedAt !== null;
  return {
    opening: { ...toWonItem(opening), caseVersion: opening.caseVersion, price: opening.price, clientSeed: opening.clientSeed, seedId: seed.id },
    seed: { id: seed.id, hash: seed.seedHash, revealed, serverSeed: revealed ? seed.seed : null },
    revision: {
      name: revision.name,
      price: revision.price,
      totalWeight: odds.totalWeight,
      items: revision.items.map((item, i) => ({ id: item.id, name: item.name, weight: item.weight, chancePercent: odds.items[i]?.chancePercent ?? "0" })),
    },
    algorithm: ALGORITHM,
  };
}
