/**
 * The rules of a case battle that are not money: formats, modes and their limits. Pure data, shared
 * by the server, the verifier (src/fairness/verify.ts) and the site.
 */

export const BATTLE_FORMATS = ["1v1", "1v1v1", "1v1v1v1", "2v2"] as const;
export type BattleFormat = (typeof BATTLE_FORMATS)[number];

/** classic: highest Σ value wins; crazy: lowest Σ wins; terminal: highest value in the last round wins. */
export const BATTLE_MODES = ["classic", "crazy", "terminal"] as const;
export type BattleMode = (typeof BATTLE_MODES)[number];

/** `expired`: nobody filled it within BATTLE_EXPIRY_SECONDS; like `cancelled`, every seat was refunded. */
export const BATTLE_STATUSES = ["waiting", "running", "finished", "cancelled", "expired"] as const;
export type BattleStatus = (typeof BATTLE_STATUSES)[number];

export const MAX_BATTLE_ROUNDS = 25;

export const SEATS_OF: Record<BattleFormat, number> = { "1v1": 2, "1v1v1": 3, "1v1v1v1": 4, "2v2": 4 };

/** A seat's team: in 2v2 seats 1–2 play 3–4; otherwise everyone plays alone (team = seat). */
export const teamOf = (format: BattleFormat, seat: number): number => (format === "2v2" ? (seat <= 2 ? 1 : 2) : seat);

/**
 * Who takes a seat's items when its team won: the seat itself if it is on the winning team, else (2v2
 * only) the winning seat opposite it (1 ↔ 3, 2 ↔ 4). In 1vN formats the single winning seat takes all.
 */
export function recipientOf(format: BattleFormat, fromSeat: number, winningSeats: readonly number[]): number {
  if (winningSeats.includes(fromSeat)) return fromSeat;
  if (format === "2v2") return fromSeat > 2 ? fromSeat - 2 : fromSeat + 2;
  const only = winningSeats[0];
  if (only === undefined) throw new RangeError("no winning seat");
  return only;
}

/** Round r (1-based) is revealed at startedAt + r × roundMs; the battle finishes one round after the last. */
export const revealTimes = (startedAt: number, roundMs: number, rounds: number): number[] =>
  Array.from({ length: rounds }, (_, i) => startedAt + (i + 1) * roundMs);

export const finishTime = (startedAt: number, roundMs: number, rounds: number): number => startedAt + (rounds + 1) * roundMs;
