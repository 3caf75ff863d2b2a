/**
 * A battle as the room shows it: the server's state (REST or `battle:state`) with the room's live
 * events folded in. Every fold is idempotent, so a replayed event after a resume, or a REST answer
 * that crosses a socket snapshot, never shows a round twice or rolls the room back.
 */
import { teamOf } from "../features/battles/rules";
import type { BattleEventMap, BattleState, BattleSummary, BattleRoundResult } from "./types";

/** How far a state has got: its version (joins, start, finish, cancel) and then its revealed rounds. */
const progress = (s: BattleState): [number, number] => [s.version, s.revealed.length];

/** A fresh snapshot, unless the one held is further on (a REST answer that left before the last event). */
export function takeSnapshot(held: BattleState | null, next: BattleState): BattleState {
  if (!held || held.id !== next.id) return next;
  const [hv, hr] = progress(held);
  const [nv, nr] = progress(next);
  return nv > hv || (nv === hv && nr >= hr) ? next : held;
}

export function applyJoined(s: BattleState, e: BattleEventMap["battle:joined"]): BattleState {
  const seat = s.seats.find((x) => x.seat === e.seat.seat);
  if (seat?.occupant || s.status !== "waiting") return { ...s, version: Math.max(s.version, e.version) };
  return {
    ...s,
    seats: s.seats.map((x) => (x.seat === e.seat.seat ? e.seat : x)),
    seatsTaken: Math.max(s.seatsTaken, e.seatsTaken),
    version: Math.max(s.version, e.version),
  };
}

export function applyStarted(s: BattleState, e: BattleEventMap["battle:started"]): BattleState {
  if (s.startedAt !== null) return s;
  return {
    ...s,
    status: "running",
    startedAt: e.startedAt,
    roundMs: e.roundMs,
    revealAt: e.revealAt,
    finishAt: e.finishAt,
    seatsTaken: s.seatCount,
    fairness: { ...s.fairness, clientSeeds: e.clientSeeds },
    version: Math.max(s.version, e.version),
  };
}

export function applyRound(s: BattleState, e: BattleEventMap["battle:round"]): BattleState {
  if (s.revealed.some((r) => r.round === e.round)) return s;
  const round: BattleRoundResult = { round: e.round, revealedAt: e.revealedAt, results: e.results, totals: e.totals };
  const revealed = [...s.revealed, round].sort((a, b) => a.round - b.round);
  const latest = revealed[revealed.length - 1];
  return { ...s, revealed, totals: latest ? latest.totals : s.totals };
}

export function applyFinished(s: BattleState, e: BattleEventMap["battle:finished"]): BattleState {
  if (s.winner) return s;
  return {
    ...s,
    status: "finished",
    winner: e.winner,
    totals: e.totals,
    awards: e.items,
    fairness: { ...s.fairness, serverSeed: e.serverSeed },
    version: Math.max(s.version, e.version),
  };
}

export function applyCancelled(s: BattleState, e: BattleEventMap["battle:cancelled"]): BattleState {
  if (s.status !== "waiting") return s;
  return { ...s, status: e.reason, fairness: { ...s.fairness, serverSeed: e.serverSeed }, version: Math.max(s.version, e.version) };
}

/**
 * How long a round's reels spin, out of its round length: they stop with a quarter of the round
 * left, so the items rest in view before the next round, and the last round's reels have stopped
 * when the winner is announced (`finishAt`, one round length after the last reveal).
 */
export const spinMsOf = (roundMs: number): number => Math.round((roundMs * 3) / 4);

/** When a revealed round's reels stop, on the server's clock. */
export const landsAt = (round: Pick<BattleRoundResult, "revealedAt">, roundMs: number): number => round.revealedAt + spinMsOf(roundMs);

/** The rounds whose reels have stopped by `serverNow` (rounds are revealed in order, so a prefix). */
export function landedRounds(s: BattleState, serverNow: number): BattleRoundResult[] {
  return s.revealed.filter((r) => landsAt(r, s.roundMs) <= serverNow);
}

/** Each seat's total as of the last round whose reels stopped (a spinning round's values are not shown yet). */
export function shownTotals(s: BattleState, serverNow: number): Map<number, number> {
  const landed = landedRounds(s, serverNow);
  const last = landed[landed.length - 1];
  // Finished: the server's final totals (the same as the last round's).
  const source = s.winner && landed.length === s.revealed.length ? s.totals : (last?.totals ?? []);
  return new Map(s.seats.map((seat) => [seat.seat, source.find((t) => t.seat === seat.seat)?.total ?? 0]));
}

/** A team's total: its seats' totals added up (in 1vN formats a team is one seat). */
export function teamTotals(s: BattleState, seatTotals: Map<number, number>): Map<number, number> {
  const teams = new Map<number, number>();
  for (const seat of s.seats) teams.set(seat.team, (teams.get(seat.team) ?? 0) + (seatTotals.get(seat.seat) ?? 0));
  return teams;
}

/** The team that leads by the mode's rule (null while nothing has landed or when level). */
export function leadingTeam(s: BattleState, serverNow: number): number | null {
  const landed = landedRounds(s, serverNow);
  const last = landed[landed.length - 1];
  if (!last) return null;
  const scores = new Map<number, number>();
  if (s.mode === "terminal") {
    // Only the last round's value counts: the latest stopped round is what would count now.
    for (const r of last.results) {
      const team = teamOf(s.format, r.seat);
      scores.set(team, (scores.get(team) ?? 0) + r.item.value);
    }
  } else {
    for (const [team, total] of teamTotals(s, shownTotals(s, serverNow))) scores.set(team, total);
  }
  const ranked = [...scores].sort((a, b) => (s.mode === "crazy" ? a[1] - b[1] : b[1] - a[1]));
  const [first, second] = ranked;
  if (!first || (second && second[1] === first[1])) return null;
  return first[0];
}

/** What the lobby knows of a battle, and when (page clock) it learnt it. */
export interface LobbyEntry {
  summary: BattleSummary;
  at: number;
}
export type LobbyBook = ReadonlyMap<string, LobbyEntry>;

/** A `battles:updated`: the newest version of each battle wins, whatever order they arrive in. */
export function applyLobbyUpdate(book: LobbyBook, update: BattleSummary, at: number): LobbyBook {
  const held = book.get(update.id);
  if (held && held.summary.version >= update.version) return book;
  return new Map(book).set(update.id, { summary: update, at });
}

/**
 * A fresh read of `GET /api/battles` started at `since`: it is the truth about which battles are
 * open, except for what an event told us after the read started (a battle created or changed meanwhile).
 */
export function rebaseLobby(book: LobbyBook, fetched: readonly BattleSummary[], since: number, at: number): LobbyBook {
  const next = new Map<string, LobbyEntry>(fetched.map((summary) => [summary.id, { summary, at }]));
  for (const [id, entry] of book) {
    const read = next.get(id);
    if (entry.at >= since && (!read || read.summary.version < entry.summary.version)) next.set(id, entry);
  }
  return next;
}

/** The battles a lobby lists: waiting ones first (newest first), then running ones. */
export function lobbyList(book: LobbyBook): { waiting: BattleSummary[]; running: BattleSummary[] } {
  const all = [...book.values()].map((e) => e.summary).sort((a, b) => b.createdAt - a.createdAt);
  return { waiting: all.filter((b) => b.status === "waiting"), running: all.filter((b) => b.status === "running") };
}
