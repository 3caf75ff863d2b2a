/**
 * Provably fair rolls, shared by the server, the site's verifier and anyone auditing us.
 * Pure WebCrypto: runs unchanged in Workers, browsers and Node 20+.
 *
 *   serverSeedHash = hex(SHA-256(utf8(serverSeed)))          — published before the seed is used
 *   digest         = HMAC-SHA256(key = utf8(serverSeed), msg = utf8(`${clientSeed}:${nonce}`))
 *   roll           = (first 8 bytes of digest as an unsigned big-endian integer × totalWeight) >> 64
 *   item           = the first item, in case order, whose cumulative weight exceeds roll
 *
 * `roll` is an integer in [0, totalWeight): each item owns a range of `weight` integers.
 * Mapping by multiply-and-shift instead of modulo keeps the bias below totalWeight / 2^64.
 *
 * An upgrade rolls the same way on a fixed range of 1,000,000 and is won below its chance:
 *
 *   chance (basis points) = floor(stakedValue × (10000 − houseEdge) / targetValue)   — integers only
 *   roll                  = the roll above with totalWeight = 1,000,000
 *   won                   = roll < chance × 100
 *
 * A case battle has one server seed of its own (committed at creation) and one client seed per seat:
 *
 *   clientSeeds = the seats' client seeds in seat order, joined with ","
 *   roll(r, s)  = the roll above with clientSeed = `${clientSeeds}:${r}` and nonce = s
 *                 (so the HMAC message is `${clientSeeds}:${round}:${seat}`, both 1-based),
 *                 on the total weight of round r's case revision; the item is picked as for an opening
 *   tiebreak    = the roll above with clientSeed = `${clientSeeds}:tiebreak`, nonce 0, on the number
 *                 of tied teams (in team order): the tied team at that index wins
 */
import { teamOf, type BattleFormat, type BattleMode } from "../features/battles/rules";

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 of the server seed, as committed to before any roll uses it. */
export async function hashServerSeed(serverSeed: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(serverSeed)));
}

/** The roll for one nonce, an integer in [0, totalWeight). */
export async function computeRoll(serverSeed: string, clientSeed: string, nonce: number, totalWeight: number): Promise<number> {
  if (!Number.isSafeInteger(totalWeight) || totalWeight <= 0) throw new RangeError("totalWeight must be a positive integer");
  if (!Number.isSafeInteger(nonce) || nonce < 0) throw new RangeError("nonce must be a non-negative integer");
  const key = await crypto.subtle.importKey("raw", encoder.encode(serverSeed), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const digest = await crypto.subtle.sign("HMAC", key, encoder.encode(`${clientSeed}:${nonce}`));
  const head = new DataView(digest).getBigUint64(0, false);
  return Number((head * BigInt(totalWeight)) >> 64n);
}

/** Index of the item whose weight range contains `roll`. */
export function pickIndex(weights: readonly number[], roll: number): number {
  let upper = 0;
  for (let i = 0; i < weights.length; i++) {
    upper += weights[i] ?? 0;
    if (roll < upper) return i;
  }
  throw new RangeError("roll is outside the weight ranges");
}

export function totalWeight(weights: readonly number[]): number {
  return weights.reduce((sum, w) => sum + w, 0);
}

export interface VerifyInput {
  serverSeed: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: number;
  /** The weights of the case's items at the opening's version, in case order. */
  weights: readonly number[];
}

export interface VerifyResult {
  /** The revealed seed matches the hash committed before the roll. */
  seedMatchesHash: boolean;
  roll: number;
  itemIndex: number;
}

/** Recomputes one opening from public data. Compare `roll` and `itemIndex` with what the server said. */
export async function verifyOpening(input: VerifyInput): Promise<VerifyResult> {
  const seedMatchesHash = (await hashServerSeed(input.serverSeed)) === input.serverSeedHash.toLowerCase();
  const roll = await computeRoll(input.serverSeed, input.clientSeed, input.nonce, totalWeight(input.weights));
  return { seedMatchesHash, roll, itemIndex: pickIndex(input.weights, roll) };
}

/** An upgrade's roll range: one million outcomes, so a chance of c basis points owns c × 100 of them. */
export const UPGRADE_ROLL_RANGE = 1_000_000;

/** 100 % in basis points. */
export const BASIS_POINTS = 10_000;

/**
 * The chance of an upgrade in basis points, `floor(stakedValue × (10000 − houseEdge) / targetValue)`,
 * in exact integer arithmetic (values in cents, the edge in basis points).
 */
export function upgradeChance(stakedValue: number, targetValue: number, houseEdgeBasisPoints: number): number {
  if (!Number.isSafeInteger(stakedValue) || stakedValue < 0) throw new RangeError("stakedValue must be a non-negative integer");
  if (!Number.isSafeInteger(targetValue) || targetValue <= 0) throw new RangeError("targetValue must be a positive integer");
  if (!Number.isSafeInteger(houseEdgeBasisPoints) || houseEdgeBasisPoints < 0 || houseEdgeBasisPoints > BASIS_POINTS) {
    throw new RangeError("houseEdgeBasisPoints must be an integer from 0 to 10000");
  }
  const scaled = stakedValue * (BASIS_POINTS - houseEdgeBasisPoints);
  if (!Number.isSafeInteger(scaled)) throw new RangeError("stakedValue is too large");
  return (scaled - (scaled % targetValue)) / targetValue;
}

/** Whether a roll in [0, 1,000,000) wins at a chance in basis points. */
export const upgradeWon = (roll: number, chanceBasisPoints: number): boolean => roll < chanceBasisPoints * 100;

export interface UpgradeVerifyInput {
  serverSeed: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: number;
  /** Σ of the staked items' values, in cents. */
  stakedValue: number;
  targetValue: number;
  houseEdgeBasisPoints: number;
}

export interface UpgradeVerifyResult {
  seedMatchesHash: boolean;
  /** Basis points. */
  chance: number;
  roll: number;
  won: boolean;
}

/** Recomputes one upgrade from public data. Compare `chance`, `roll` and `won` with what the server said. */
export async function verifyUpgrade(input: UpgradeVerifyInput): Promise<UpgradeVerifyResult> {
  const seedMatchesHash = (await hashServerSeed(input.serverSeed)) === input.serverSeedHash.toLowerCase();
  const chance = upgradeChance(input.stakedValue, input.targetValue, input.houseEdgeBasisPoints);
  const roll = await computeRoll(input.serverSeed, input.clientSeed, input.nonce, UPGRADE_ROLL_RANGE);
  return { seedMatchesHash, chance, roll, won: upgradeWon(roll, chance) };
}

/** One round's case revision as a battle rolls it: its items in case order. */
export type BattleRoundItems = readonly { weight: number; value: number }[];

export interface BattleRollResult {
  round: number;
  seat: number;
  roll: number;
  itemIndex: number;
  value: number;
}

export interface BattleOutcome {
  /** rolls[r - 1][s - 1]: round r, seat s. */
  rolls: BattleRollResult[][];
  /** Σ of the values each seat won, index seat - 1. */
  totals: number[];
  winner: { team: number; seats: number[]; tiebreak: { tiedTeams: number[]; roll: number } | null };
}

/** Every roll, the totals and the winner of a battle, from its seeds: what the server decides at the start. */
export async function computeBattle(serverSeed: string, clientSeeds: readonly string[], format: BattleFormat, mode: BattleMode, rounds: readonly BattleRoundItems[]): Promise<BattleOutcome> {
  const joined = clientSeeds.join(",");
  const rolls: BattleRollResult[][] = [];
  for (let r = 1; r <= rounds.length; r++) {
    const items = rounds[r - 1] ?? [];
    const weights = items.map((i) => i.weight);
    const total = totalWeight(weights);
    const row: BattleRollResult[] = [];
    for (let seat = 1; seat <= clientSeeds.length; seat++) {
      const roll = await computeRoll(serverSeed, `${joined}:${r}`, seat, total);
      const itemIndex = pickIndex(weights, roll);
      row.push({ round: r, seat, roll, itemIndex, value: items[itemIndex]?.value ?? 0 });
    }
    rolls.push(row);
  }
  const totals = clientSeeds.map((_, i) => rolls.reduce((sum, row) => sum + (row[i]?.value ?? 0), 0));
  return { rolls, totals, winner: await decideWinner(serverSeed, joined, format, mode, rolls) };
}

async function decideWinner(serverSeed: string, joined: string, format: BattleFormat, mode: BattleMode, rolls: BattleRollResult[][]): Promise<BattleOutcome["winner"]> {
  const counted = mode === "terminal" ? rolls.slice(-1) : rolls;
  const scores = new Map<number, number>();
  for (const row of counted) for (const r of row) scores.set(teamOf(format, r.seat), (scores.get(teamOf(format, r.seat)) ?? 0) + r.value);
  // Teams with no counted roll (none: every round rolls every seat) would be absent; order by team number.
  const teams = [...scores.keys()].sort((a, b) => a - b);
  const better = (a: number, b: number) => (mode === "crazy" ? a < b : a > b);
  let best: number | null = null;
  for (const team of teams) {
    const score = scores.get(team) ?? 0;
    if (best === null || better(score, best)) best = score;
  }
  const tiedTeams = teams.filter((team) => scores.get(team) === best);
  let team = tiedTeams[0] ?? 1;
  let tiebreak: { tiedTeams: number[]; roll: number } | null = null;
  if (tiedTeams.length > 1) {
    const roll = await computeRoll(serverSeed, `${joined}:tiebreak`, 0, tiedTeams.length);
    team = tiedTeams[roll] ?? team;
    tiebreak = { tiedTeams, roll };
  }
  const seats = (rolls[0] ?? []).map((r) => r.seat).filter((seat) => teamOf(format, seat) === team);
  return { team, seats, tiebreak };
}

export interface BattleVerifyInput {
  serverSeed: string;
  serverSeedHash: string;
  /** The seats' client seeds in seat order. */
  clientSeeds: readonly string[];
  format: BattleFormat;
  mode: BattleMode;
  /** Per round (in order), the items of its case revision in case order with weight and value. */
  rounds: readonly BattleRoundItems[];
}

/**
 * Recomputes a finished battle from public data (GET /api/battles/:id once the seed is revealed):
 * compare every `rolls[r][s]` roll and item index, the totals and the winner with what the server said.
 */
export async function verifyBattle(input: BattleVerifyInput): Promise<BattleOutcome & { seedMatchesHash: boolean }> {
  const seedMatchesHash = (await hashServerSeed(input.serverSeed)) === input.serverSeedHash.toLowerCase();
  return { seedMatchesHash, ...(await computeBattle(input.serverSeed, input.clientSeeds, input.format, input.mode, input.rounds)) };
}
