import type { SeedRow } from "./queries";
import type { ActiveSeed, RevealedSeed } from "./schemas";

/** What a player sees of the seed in use: only its hash. `nextNonce` is the user's counter (users.next_nonce). */
export function toActiveSeed(row: SeedRow, nextNonce: number): ActiveSeed {
  return { seedId: row.id, serverSeedHash: row.seedHash, clientSeed: row.clientSeed, nextNonce, createdAt: row.createdAt };
}

/** A revealed seed keeps in `next_nonce` the count of nonces it served. */
export function toRevealedSeed(row: SeedRow, revealedAt: number): RevealedSeed {
  return { seedId: row.id, serverSeed: row.seed, serverSeedHash: row.seedHash, clientSeed: row.clientSeed, noncesUsed: row.nextNonce, revealedAt };
}

/** Every account has exactly one active seed from registration on; none is a broken invariant, not a 404. */
export function activeSeedOf<T>(userId: string, row: T | undefined): T {
  if (!row) throw new Error(`user ${userId} has no active server seed`);
  return row;
}
