/**
 * The event contract kept from the first version (names unchanged), made safe:
 * private events go only to their user's hub, and every payload carries absolute
 * values or versions so a replayed or duplicated event is harmless. A change publishes at most one
 * event of each name per account version (a keyed retry publishes the same one again, in case the
 * first publish was lost), and the SDK delivers each (name, version) once.
 * The socket frames that carry these events live in ./protocol.ts.
 */

import type { LEDGER_REASONS } from "../db/schema";
import type { BattleAward, BattleRoll, BattleSeat, BattleState, BattleSummary, BattleWinner, SeatTotal } from "../features/battles/schemas";
import type { InventoryItem } from "../features/inventory/schemas";

export type BalanceReason = (typeof LEDGER_REASONS)[number];

export interface PrivateEventMap {
  /** `version` is the account version (users.version): ignore anything older than what you hold. */
  "balance:updated": { balance: number; delta: number; reason: BalanceReason; version: number };
  "inventory:updated": { version: number; added?: InventoryItem[]; removed?: string[] };
}

export interface Drop {
  /** The opening's id: a drop seen twice (live, then in a connect's catch-up) is one drop. */
  id: string;
  caseId: string;
  item: { id: string; name: string; imageUrl: string | null; rarity: string; value: number; kind: "skin" | "money" };
  userDisplayName: string;
  at: number;
}

export interface PublicEventMap {
  /** `version` is the catalogue version: refetch `GET /api/cases` when it is newer than yours. */
  "cases:updated": { version: number; caseId: string; action: "created" | "updated" | "deleted" };
  "drops:new": Drop;
  /**
   * Sent by the broadcaster itself (never by the Worker), coalesced with drops: `players` are users with
   * at least one private socket, `clients` every open socket (private and lobby).
   */
  online: { players: number; clients: number };
  /**
   * A public battle changed (created, a seat taken, started, finished, cancelled or expired). Sent when
   * it happens, never replayed: a lobby that (re)connects refetches `GET /api/battles`.
   */
  "battles:updated": BattleSummary;
}

/**
 * A battle room's events (`GET /ws/battle/:id`), each sent at its time and never before: a round at
 * its reveal time, the winner when the last round's reels stop. Every one names its battle, so an SDK
 * watching several rooms can tell them apart.
 */
export interface BattleEventMap {
  /** Everything revealed so far: sent on every connect that cannot resume, never stored in the log. */
  "battle:state": BattleState;
  "battle:joined": { battleId: string; seat: BattleSeat; seatsTaken: number; version: number };
  /** The last seat filled: every client seed is known, so every roll is fixed from now on (not shown). */
  "battle:started": { battleId: string; startedAt: number; roundMs: number; revealAt: number[]; finishAt: number; clientSeeds: string; version: number };
  "battle:round": { battleId: string; round: number; revealedAt: number; results: BattleRoll[]; totals: SeatTotal[] };
  "battle:finished": { battleId: string; winner: BattleWinner; totals: SeatTotal[]; items: BattleAward[]; serverSeed: string; finishedAt: number; version: number };
  "battle:cancelled": { battleId: string; reason: "cancelled" | "expired"; serverSeed: string; version: number };
}

export type PrivateEventName = keyof PrivateEventMap;
export type PublicEventName = keyof PublicEventMap;

export type PrivateEvent = { [K in PrivateEventName]: { event: K; data: PrivateEventMap[K] } }[PrivateEventName];
export type PublicEvent = { [K in PublicEventName]: { event: K; data: PublicEventMap[K] } }[PublicEventName];

export type BattleEventName = keyof BattleEventMap;
export type BattleEvent = { [K in BattleEventName]: { event: K; data: BattleEventMap[K] } }[BattleEventName];
