import { and, eq, sql } from "drizzle-orm";
import { isConstraintError, type Db } from "../../db/client";
import { withinParameterLimit } from "../../db/insert-select";
import { battles, openings, type BattleRow, type OpeningRow } from "../../db/schema";
import { conflict, forbidden } from "../../http/errors";
import { randomToken } from "../../lib/crypto";
import { applyEntry, insertEntry, type EntryDraft } from "../ledger/guarded-entry";
import { itemSnapshot } from "../openings/model";
import { HOUSE_USER_ID } from "./house";
import { joinedClientSeeds, planAwards, type PlannedAward, type StoredOutcome } from "./outcome";
import { revisionKey, type LoadedBattle, type Revisions } from "./queries";
import { finishTime } from "./rules";
import { endedBy } from "./statements";

/** An account a battle's end changed, for its events. */
export interface AccountChange {
  userId: string;
  balance: number;
  version: number;
  delta: number;
}

/**
 * Ends a waiting battle, refunding every seat: one batch. The status update is the gate (still
 * waiting, still the seats read, and for a cancel still the creator's), and it writes a fresh
 * token; every refund entry is guarded on that token. So a cancel or an expiry racing a join that
 * fills the last seat has one winner: either the battle started, or nobody sits in it any more.
 * Returns null when the gate said no (the battle is no longer what was read).
 */
export async function endWaiting(db: Db, loaded: LoadedBattle, status: "cancelled" | "expired", at: number): Promise<AccountChange[] | null> {
  const { battle, seats } = loaded;
  const token = randomToken(12);
  const players = seats.filter((s) => s.userId !== null);
  const bots = seats.length - players.length;
  const refunds: EntryDraft[] = players.map((s) => refund(s.userId ?? "", battle, at));
  if (bots > 0) refunds.push({ ...refund(HOUSE_USER_ID, battle, at), note: `${bots} bot seat(s)` });
  const amountOf = (draft: EntryDraft) => (draft.userId === HOUSE_USER_ID ? battle.entry * bots : battle.entry);
  const gate = db
    .update(battles)
    .set({ status, token, endedAt: at, version: sql`${battles.version} + 1` })
    .where(
      and(
        eq(battles.id, battle.id),
        eq(battles.status, "waiting"),
        eq(battles.seatsTaken, seats.length),
        status === "expired" ? sql`${battles.expiresAt} <= ${at}` : sql`${battles.creatorId} = ${battle.creatorId}`,
      ),
    )
    .returning({ id: battles.id });
  const results = await db.batch([gate, ...refunds.flatMap((draft) => [insertEntry(db, draft, { amount: amountOf(draft), guard: endedBy(battle.id, token) }), applyEntry(db, draft, amountOf(draft))])]);
  if (results[0].length === 0) return null;
  return refunds.map((draft, i) => {
    const after = (results[2 + i * 2] as { balance: number; version: number }[] | undefined)?.[0];
    if (!after) throw new Error(`battle ${battle.id}: refund of ${draft.userId} was not applied`);
    return { userId: draft.userId, balance: after.balance, version: after.version, delta: amountOf(draft) };
  });
}

const refund = (userId: string, battle: BattleRow, at: number): EntryDraft => ({
  id: crypto.randomUUID(),
  userId,
  at,
  reason: "battle_refund",
  ref: battle.id,
  idempotencyKey: null,
  requestHash: "",
});

/** The creator's cancel: 403 for anyone else, 409 once the battle is not waiting. */
export async function cancelBattle(db: Db, loaded: LoadedBattle, userId: string, at: number): Promise<AccountChange[]> {
  if (loaded.battle.creatorId !== userId) throw forbidden("Only the battle's creator can cancel it.");
  if (loaded.battle.status !== "waiting") throw conflict("battle_not_waiting", "This battle has started or ended: it can no longer be cancelled.");
  const changes = await endWaiting(db, loaded, "cancelled", at);
  if (!changes) throw conflict("battle_not_waiting", "This battle has started or ended: it can no longer be cancelled.");
  return changes;
}

/** A winner's new items, for the events and the drops feed. */
export interface Settled {
  userId: string;
  displayName: string;
  version: number;
  items: OpeningRow[];
}

/**
 * Settles a running battle once its last round has been shown: one batch. The status update is the
 * gate (still running, and past `finishAt`, so never early) and writes the awards into the stored
 * outcome and a token; each winning player gets a zero-delta `battle_win` entry guarded on the token
 * and the items as inventory rows, whose foreign key to that entry aborts the batch when it was not
 * written. The house's share (bots' wins) writes nothing: the house keeps it. Null: already settled.
 */
export async function settleBattle(db: Db, loaded: LoadedBattle, revisions: Revisions, outcome: StoredOutcome, at: number): Promise<Settled[] | null> {
  const { battle, seats } = loaded;
  if (battle.startedAt === null) return null;
  const awards = planAwards(battle, seats, outcome);
  const token = randomToken(12);
  const winners = [...new Set(awards.flatMap((a) => (a.userId === null ? [] : [a.userId])))];
  const wins = winners.map((userId) => ({ userId, draft: { id: crypto.randomUUID(), userId, at, reason: "battle_win" as const, ref: battle.id, idempotencyKey: null, requestHash: "" } }));
  const clientSeeds = joinedClientSeeds(seats);
  const itemRows = (userId: string, ledgerId: string) =>
    awards.filter((a) => a.userId === userId).map((a) => openingRow(battle, revisions, outcome, a, userId, ledgerId, clientSeeds, at));
  const gate = db
    .update(battles)
    .set({ status: "finished", token, endedAt: at, outcome: JSON.stringify({ ...outcome, awards }), version: sql`${battles.version} + 1` })
    .where(and(eq(battles.id, battle.id), eq(battles.status, "running"), sql`${finishTime(battle.startedAt, battle.roundMs, battle.rounds.length)} <= ${at}`))
    .returning({ id: battles.id });
  const perWinner = wins.map(({ userId, draft }) => {
    const rows = itemRows(userId, draft.id);
    return { userId, rows, statements: [insertEntry(db, draft, { amount: 0, guard: endedBy(battle.id, token) }), applyEntry(db, draft, 0), ...withinParameterLimit(rows).map((slice) => db.insert(openings).values(slice))] as const };
  });
  let results: unknown[];
  try {
    results = await db.batch([gate, ...perWinner.flatMap((w) => w.statements)]);
  } catch (err) {
    // The gate matched nothing, so no entry was written and the items' foreign key refused them.
    if (isConstraintError(err)) return null;
    throw err;
  }
  if ((results[0] as unknown[]).length === 0) return null;
  let index = 1;
  return perWinner.map((w) => {
    const after = (results[index + 1] as { version: number }[])[0];
    index += w.statements.length;
    const seat = seats.find((s) => s.userId === w.userId);
    return { userId: w.userId, displayName: seat?.displayName ?? "", version: after?.version ?? 0, items: w.rows };
  });
}

function openingRow(
  battle: BattleRow,
  revisions: Revisions,
  outcome: StoredOutcome,
  award: PlannedAward,
  userId: string,
  ledgerId: string,
  clientSeeds: string,
  at: number,
): OpeningRow {
  const spec = battle.rounds[award.round - 1];
  const roll = outcome.rolls[award.round - 1]?.[award.fromSeat - 1];
  const item = spec && roll ? revisions.get(revisionKey(spec.caseId, spec.version))?.[roll.itemIndex] : undefined;
  if (!spec || !roll || !item || !award.inventoryId) throw new Error(`battle ${battle.id}: award of round ${award.round} seat ${award.fromSeat} has no item`);
  return {
    id: award.inventoryId,
    userId,
    caseId: spec.caseId,
    caseVersion: spec.version,
    price: spec.price,
    ledgerId,
    // The battle is the seed's owner: its server seed, the seats' client seeds, the round in the
    // client seed and the seat as the nonce, exactly as verifyBattle recomputes it.
    seedId: battle.id,
    clientSeed: `${clientSeeds}:${award.round}`,
    nonce: award.fromSeat,
    roll: roll.roll,
    ...itemSnapshot(item),
    status: "owned",
    source: "battle",
    settledLedgerId: null,
    settledAt: null,
    createdAt: at,
  };
}
