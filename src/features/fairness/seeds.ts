import { hashServerSeed } from "../../fairness/verify";
import { randomToken, toHex, randomBytes } from "../../lib/crypto";
import type { serverSeeds } from "../../db/schema";

/** A fresh secret server seed (64 hex chars) with the hash we show before using it. */
export async function newServerSeed(userId: string, clientSeed: string, at: number): Promise<typeof serverSeeds.$inferInsert> {
  const seed = toHex(randomBytes(32));
  return { id: crypto.randomUUID(), userId, seed, seedHash: await hashServerSeed(seed), clientSeed, nextNonce: 0, createdAt: at };
}

/** The client seed a new account starts with; players may replace it any time. */
export const defaultClientSeed = (): string => randomToken(12);
