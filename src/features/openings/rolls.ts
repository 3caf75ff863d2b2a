import type { RevisionItem } from "../../db/schema";
import { computeRoll, pickIndex, totalWeight } from "../../fairness/verify";

export interface Roll {
  nonce: number;
  roll: number;
  item: RevisionItem;
}

/** Rolls `count` consecutive nonces against a case revision, exactly as a verifier will. */
export async function rollItems(seed: { seed: string; clientSeed: string }, firstNonce: number, count: number, items: readonly RevisionItem[]): Promise<Roll[]> {
  const weights = items.map((i) => i.weight);
  const total = totalWeight(weights);
  const rolls: Roll[] = [];
  for (let nonce = firstNonce; nonce < firstNonce + count; nonce++) {
    const roll = await computeRoll(seed.seed, seed.clientSeed, nonce, total);
    const item = items[pickIndex(weights, roll)];
    if (!item) throw new Error("roll mapped outside the case items");
    rolls.push({ nonce, roll, item });
  }
  return rolls;
}
