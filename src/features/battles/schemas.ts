import { z } from "zod";
import { pageQuery } from "../../lib/pagination";
import { itemFace } from "../cases/schemas";
import { BATTLE_FORMATS, BATTLE_MODES, BATTLE_STATUSES, MAX_BATTLE_ROUNDS, SEATS_OF } from "./rules";

// Requests.

/** A client seed a player brings to a seat: 1–64 URL-safe characters (seeds are joined with "," in the rolls). */
export const battleClientSeed = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, _ or -");

const caseRefValue = z.string().trim().min(1, "is required").max(60);

/**
 * `POST /api/battles`: one case per round (id or slug, repeats allowed), the format and the mode.
 * `clientSeed` is the creator's seed for seat 1 (a random one when absent).
 */
export const createBattleBody = z
  .object({
    cases: z.array(caseRefValue).min(1, "a battle has at least one round").max(MAX_BATTLE_ROUNDS, `a battle has at most ${MAX_BATTLE_ROUNDS} rounds`),
    format: z.enum(BATTLE_FORMATS),
    mode: z.enum(BATTLE_MODES),
    private: z.boolean().default(false),
    clientSeed: battleClientSeed.optional(),
  })
  .strict();

/** `POST /api/battles/:id/join`: a free seat (the lowest free one when absent) and the joiner's client seed. */
export const joinBattleBody = z
  .object({
    seat: z.number().int("must be a whole number").min(1, "must be at least 1").max(4, "must be at most 4").optional(),
    clientSeed: battleClientSeed.optional(),
  })
  .strict();

export const battleRef = z.object({ id: z.uuid("is not a battle id") });

/** `GET /api/battles`: public battles in one status, newest first. */
export const battlesQuery = z.object({
  ...pageQuery,
  status: z.enum(["waiting", "running", "finished"]).default("waiting"),
});

// Responses.

/** One round's case as the battle was created: the revision it is rolled against and what it cost. */
export const battleRoundCase = z.strictObject({
  round: z.int(),
  caseId: z.string(),
  caseVersion: z.int(),
  name: z.string(),
  imageUrl: z.string().nullable(),
  price: z.int(),
});

/** What a lobby lists, and what `battles:updated` carries. */
export const battleSummary = z.strictObject({
  id: z.string(),
  status: z.enum(BATTLE_STATUSES),
  format: z.enum(BATTLE_FORMATS),
  mode: z.enum(BATTLE_MODES),
  private: z.boolean(),
  seatCount: z.int(),
  seatsTaken: z.int(),
  /** What one seat pays: Σ of the rounds' case prices at their revisions, integer cents. */
  entry: z.int(),
  rounds: z.array(battleRoundCase),
  creator: z.strictObject({ id: z.string(), displayName: z.string() }),
  createdAt: z.int(),
  /** A waiting battle is cancelled with full refunds at this time (Unix ms). */
  expiresAt: z.int(),
  startedAt: z.int().nullable(),
  /** When the last round's reels stop and the winner is settled (set once started). */
  finishAt: z.int().nullable(),
  /** Bumped by every change (join, start, finish, cancel): keep the newest. */
  version: z.int(),
});

export const battleSeat = z.strictObject({
  seat: z.int(),
  /** 1 or 2 in `2v2` (seats 1–2 against 3–4); otherwise the seat number. */
  team: z.int(),
  /** null while the seat is free. */
  occupant: z
    .strictObject({
      /** null for a bot (the house pays its entry and keeps its winnings). */
      userId: z.string().nullable(),
      displayName: z.string(),
      bot: z.boolean(),
      /** The seat's client seed, part of every roll (see `fairness`). */
      clientSeed: z.string(),
      joinedAt: z.int(),
    })
    .nullable(),
});

/** One seat's item in one revealed round, with its roll in [0, totalWeight) of the round's case revision. */
export const battleRoll = z.strictObject({
  seat: z.int(),
  roll: z.int(),
  itemIndex: z.int(),
  item: z.strictObject({ id: z.string(), ...itemFace }),
});

export const seatTotal = z.strictObject({ seat: z.int(), total: z.int() });

export const battleRoundResult = z.strictObject({
  round: z.int(),
  revealedAt: z.int(),
  results: z.array(battleRoll),
  /** Σ of the item values each seat has won up to this round (the mode decides how they compare: see README). */
  totals: z.array(seatTotal),
});

export const battleWinner = z.strictObject({
  /** The winning team (its seat in a 1v1v1…, 1 or 2 in 2v2). */
  team: z.int(),
  seats: z.array(z.int()),
  /** Set when teams tied on score: the provably fair roll that picked among them. */
  tiebreak: z.strictObject({ tiedTeams: z.array(z.int()), roll: z.int() }).nullable(),
});

/** An item won in the battle and the seat it goes to (2v2: each winner takes the losing seat opposite). */
export const battleAward = z.strictObject({
  toSeat: z.int(),
  fromSeat: z.int(),
  round: z.int(),
  item: z.strictObject({ id: z.string(), ...itemFace }),
  /** The inventory id the item got; null when it went to a bot (the house keeps it). */
  inventoryId: z.string().nullable(),
});

/** A case revision the battle rolls against, items in case order with their weights: what a verifier needs. */
export const battleCaseRevision = z.strictObject({
  caseId: z.string(),
  caseVersion: z.int(),
  totalWeight: z.int(),
  items: z.array(z.strictObject({ id: z.string(), ...itemFace, weight: z.int() })),
});

export const battleFairness = z.strictObject({
  serverSeedHash: z.string(),
  /** Revealed once the battle is finished (or cancelled); null before. */
  serverSeed: z.string().nullable(),
  /** The seats' client seeds in seat order joined with "," (complete once the battle started). */
  clientSeeds: z.string(),
  algorithm: z.string(),
});

/**
 * Everything about one battle that has been revealed by `serverTime`: never a round before its
 * `revealAt`, never the winner before `finishAt`. `GET /api/battles/:id` and the socket's
 * `battle:state` both send this.
 */
export const battleState = battleSummary.extend({
  roundMs: z.int(),
  seats: z.array(battleSeat),
  cases: z.array(battleCaseRevision),
  /** Rounds revealed so far, in order. */
  revealed: z.array(battleRoundResult),
  /** When each round is revealed (round r at startedAt + r × roundMs); empty until started. */
  revealAt: z.array(z.int()),
  /** Current totals per seat (zeros before the first round). */
  totals: z.array(seatTotal),
  winner: battleWinner.nullable(),
  awards: z.array(battleAward),
  fairness: battleFairness,
  serverTime: z.int(),
});

export const battleResponse = z.strictObject({ battle: battleState });

export const battlePage = z.strictObject({ battles: z.array(battleSummary), nextCursor: z.string().nullable() });

export type CreateBattleBody = z.output<typeof createBattleBody>;
export type JoinBattleBody = z.output<typeof joinBattleBody>;
export type BattlesQuery = z.output<typeof battlesQuery>;
export type BattleRoundCase = z.infer<typeof battleRoundCase>;
export type BattleSummary = z.infer<typeof battleSummary>;
export type BattleSeat = z.infer<typeof battleSeat>;
export type BattleRoll = z.infer<typeof battleRoll>;
export type SeatTotal = z.infer<typeof seatTotal>;
export type BattleRoundResult = z.infer<typeof battleRoundResult>;
export type BattleWinner = z.infer<typeof battleWinner>;
export type BattleAward = z.infer<typeof battleAward>;
export type BattleCaseRevision = z.infer<typeof battleCaseRevision>;
export type BattleFairness = z.infer<typeof battleFairness>;
export type BattleState = z.infer<typeof battleState>;
export type BattleResponse = z.infer<typeof battleResponse>;
export type BattlePage = z.infer<typeof battlePage>;

/** Seats of a format, for forms (a `2v2` is four seats). */
export { SEATS_OF };
