import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { openings, OPENING_STATUSES, serverSeeds, upgrades, type LedgerRow } from "../../db/schema";
import { notFound } from "../../http/errors";
import { assertReplayOf } from "../ledger/guarded-entry";
import { toInventoryItem } from "../openings/model";
import { targetOf, toUpgradeRecord } from "./model";
import type { UpgradeProof, UpgradeResult } from "./schemas";

export const UPGRADE_ALGORITHM =
  "chance (basis points) = floor(stakedValue * (10000 - houseEdge) / targetValue); " +
  "roll = (first 8 bytes of HMAC-SHA256(key=serverSeed, msg=`${clientSeed}:${nonce}`) as uint64 * 1000000) >> 64; " +
  "won = roll < chance * 100; serverSeedHash = SHA-256(serverSeed)";

/** One upgrade of the user with its seed, staked items and won item: one round trip. */
async function readUpgrade(db: Db, userId: string, id: string) {
  const theUpgrade = and(eq(upgrades.userId, userId), eq(upgrades.id, id));
  // No joins inside a batch: D1 keys its rows by column name, and both tables have an id.
  const [rows, seeds, staked, won] = await db.batch([
    db.select().from(upgrades).where(theUpgrade),
    db
      .select()
      .from(serverSeeds)
      .where(sql`${serverSeeds.id} = (SELECT ${upgrades.seedId} FROM ${upgrades} WHERE ${theUpgrade})`),
    db
      .select()
      .from(openings)
      .where(and(eq(openings.userId, userId), eq(openings.status, "upgraded"), eq(openings.settledLedgerId, id)))
      .orderBy(asc(openings.id)),
    // The won row at the upgrade's instant, in whatever status it is now: a few seeks into the clustered key.
    db
      .select()
      .from(openings)
      .where(
        and(
          eq(openings.userId, userId),
          inArray(openings.status, OPENING_STATUSES),
          sql`${openings.createdAt} = (SELECT ${upgrades.createdAt} FROM ${upgrades} WHERE ${theUpgrade})`,
          sql`${openings.id} = (SELECT ${upgrades.wonOpeningId} FROM ${upgrades} WHERE ${theUpgrade})`,
        ),
      ),
  ]);
  const upgrade = rows[0];
  const seed = seeds[0];
  return upgrade && seed ? { upgrade, seed, staked, won: won[0] ?? null } : null;
}

/** Everything needed to verify one of the user's upgrades; the server seed is shown once rotated out. */
export async function getUpgradeProof(db: Db, userId: string, id: string): Promise<UpgradeProof | null> {
  const found = await readUpgrade(db, userId, id);
  if (!found) return null;
  const { upgrade, seed } = found;
  const revealed = seed.revealedAt !== null;
  return {
    upgrade: toUpgradeRecord(upgrade),
    staked: found.staked.map(toInventoryItem),
    item: found.won ? toInventoryItem(found.won) : null,
    seed: { id: seed.id, hash: seed.seedHash, revealed, serverSeed: revealed ? seed.seed : null },
    algorithm: UPGRADE_ALGORITHM,
  };
}

/** Rebuilds the first response for a replayed key from what the first request wrote. */
export async function loadUpgradeResult(db: Db, prior: LedgerRow, requestHash: string): Promise<UpgradeResult> {
  const entry = assertReplayOf(prior, ["upgrade"], requestHash);
  const found = await readUpgrade(db, entry.userId, entry.id);
  if (!found) throw notFound("Upgrade");
  const { upgrade, seed } = found;
  return {
    id: upgrade.id,
    won: upgrade.wonOpeningId !== null,
    chance: upgrade.chance,
    roll: upgrade.roll,
    nonce: upgrade.nonce,
    houseEdge: upgrade.houseEdge,
    staked: { value: upgrade.stakedValue, items: found.staked.map(toInventoryItem) },
    target: targetOf(upgrade),
    ...(found.won ? { item: toInventoryItem(found.won) } : {}),
    balance: entry.balanceAfter,
    version: entry.accountVersion,
    seed: { id: seed.id, hash: seed.seedHash, clientSeed: upgrade.clientSeed },
    createdAt: upgrade.createdAt,
  };
}
