/**
 * The upgrader's rules, shared by the Worker and the site (no Worker types, no zod here). The chance
 * formula and the roll live with the public verifier in src/fairness/verify.ts.
 */

/** A chance is allowed from 1 % to 80 %, in basis points. */
export const MIN_CHANCE = 100;
export const MAX_CHANCE = 8_000;

/** How many skins one upgrade may stake. */
export const MAX_STAKED_ITEMS = 5;

/** The house edge when UPGRADER_HOUSE_EDGE is not set: 0.05, in basis points. */
export const DEFAULT_HOUSE_EDGE = 500;

/**
 * How long the site's dial spins before it shows the result. A win reaches the public drops feed
 * only after it: the lobby holds every drop for REVEAL_MS (src/realtime/reveal.ts), which is longer.
 */
export const UPGRADE_REVEAL_MS = 4_000;

export const chanceAllowed = (chance: number): boolean => chance >= MIN_CHANCE && chance <= MAX_CHANCE;

/** Basis points as a percentage with two decimals: 4750 → "47.50 %". */
export function formatChance(basisPoints: number): string {
  return `${Math.floor(basisPoints / 100)}.${String(basisPoints % 100).padStart(2, "0")} %`;
}
