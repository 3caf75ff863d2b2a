/**
 * A demo spin: the reel over the case's public odds with a roll made in this browser. It sends
 * nothing and records nothing; it only shows what a spin looks like.
 */
import type { CaseItemView, WonItem } from "./types";

/**
 * An item drawn by weight with `crypto.getRandomValues`: a 64-bit draw, rejected above the largest
 * multiple of the total weight so every ticket is equally likely (no modulo bias).
 */
export function demoRoll(items: readonly CaseItemView[], random: (buffer: BigUint64Array) => void = (b) => void crypto.getRandomValues(b)): CaseItemView {
  const total = BigInt(items.reduce((sum, item) => sum + item.weight, 0));
  if (total <= 0n) throw new Error("a case without items cannot be spun");
  const limit = (1n << 64n) - ((1n << 64n) % total);
  const buffer = new BigUint64Array(1);
  let draw: bigint;
  do {
    random(buffer);
    draw = buffer[0] ?? 0n;
  } while (draw >= limit);
  let ticket = draw % total;
  for (const item of items) {
    ticket -= BigInt(item.weight);
    if (ticket < 0n) return item;
  }
  throw new Error("unreachable: the ticket is below the total weight");
}

/** The drawn item in the shape the reel draws (never sent anywhere, never in the inventory). */
export function demoWin(caseId: string, item: CaseItemView): WonItem {
  return {
    id: `demo-${crypto.randomUUID()}`,
    caseId,
    itemId: item.id,
    name: item.name,
    imageUrl: item.imageUrl,
    rarity: item.rarity,
    value: item.value,
    kind: item.kind,
    status: "owned",
    source: "case",
    createdAt: Date.now(),
    nonce: 0,
    roll: 0,
  };
}
