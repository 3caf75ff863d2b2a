import { and, eq } from "drizzle-orm";
import { constraintFailed, isConstraintError, type Db } from "../../db/client";
import { battles, ledger, type BattleRow, type BattleSeatRow } from "../../db/schema";
import { badRequest, conflict, forbidden, notFound, unprocessable } from "../../http/errors";
import { randomToken } from "../../lib/crypto";
import { applyEntry, insertEntry, type EntryDraft } from "../ledger/guarded-entry";
import { priorEntryQuery } from "../ledger/idempotency-guards";
import { insufficient, replayOf, type Charge } from "./create";
import { HOUSE_USER_ID } from "./house";
import { seatsOf, type LoadedBattle } from "./queries";
import { seatFree, seatInsert, stillWaiting, takeSeats } from "./statements";

export interface JoinRequest {
  battleId: string;
  userId: string;
  displayName: string;
  seat: number | undefined;
  clientSeed: string | undefined;
  idempotencyKey: string | null;
  requestHash: string;
  at: number;
}

/** How often an automatic seat pick is retried when another player took that seat first. */
const PICK_ATTEMPTS = 3;

const notWaiting = () => conflict("battle_not_waiting", "This battle is no longer taking players.");

function assertWaiting(battle: BattleRow, at: number): void {
  if (battle.status !== "waiting" || battle.expiresAt <= at || battle.seatsTaken >= battle.seatCount) throw notWaiting();
}

const freeSeats = (battle: BattleRow, seats: readonly BattleSeatRow[]) =>
  Array.from({ length: battle.seatCount }, (_, i) => i + 1).filter((n) => !seats.some((s) => s.seat === n));

/**
 * Takes a seat and charges the entry in one batch: the `battle_entry` is written only while the
 * battle is waiting and unexpired, the seat free and the player not seated (so of any number of
 * concurrent joins for the last seat exactly one is written); the seat row and the seat count
 * follow it, and the count's update starts the battle when it fills it. Everything else is refused
 * with the battle unchanged.
 */
export async function joinBattle(db: Db, req: JoinRequest): Promise<Charge> {
  for (let attempt = 1; ; attempt++) {
    const [rows, seats, priorRows] = await db.batch([db.select().from(battles).where(eq(battles.id, req.battleId)), seatsOf(db, req.battleId), priorEntryQuery(db, req.userId, req.idempotencyKey)]);
    const prior = priorRows[0];
    if (prior) return replayOf(prior, req.requestHash);
    const battle = rows[0];
    if (!battle) throw notFound("Battle");
    if (seats.some((s) => s.userId === req.userId)) throw conflict("already_seated", "You already have a seat in this battle.");
    assertWaiting(battle, req.at);
    if (req.seat !== undefined && req.seat > battle.seatCount) throw badRequest(`This battle has ${battle.seatCount} seats.`, [{ path: "seat", message: `must be at most ${battle.seatCount}` }]);
    const seat = req.seat ?? freeSeats(battle, seats)[0];
    if (seat === undefined) throw notWaiting();
    if (seats.some((s) => s.seat === seat)) throw conflict("seat_taken", `Seat ${seat} is taken.`);

    const outcome = await tryTakeSeat(db, req, battle, seat);
    if (outcome) return outcome;
    // Refused inside the batch: someone else changed the battle in between. Say what happened,
    // or, for an automatic pick that lost its seat to another player, pick again.
    if (req.seat !== undefined || attempt >= PICK_ATTEMPTS) {
      const now = await db.select().from(battles).where(eq(battles.id, req.battleId)).get();
      if (!now) throw notFound("Battle");
      assertWaiting(now, req.at);
      throw conflict("seat_taken", `Seat ${seat} is taken.`);
    }
  }
}

async function tryTakeSeat(db: Db, req: JoinRequest, battle: BattleRow, seat: number): Promise<Charge | null> {
  const entry: EntryDraft = { id: crypto.randomUUID(), userId: req.userId, at: req.at, reason: "battle_entry", ref: battle.id, idempotencyKey: req.idempotencyKey, requestHash: req.requestHash };
  const key = { userId: req.userId, at: req.at, id: entry.id };
  try {
    const [, balanceRows] = await db.batch([
      insertEntry(db, entry, { amount: -battle.entry, guard: and(stillWaiting(battle.id, req.at), seatFree(battle.id, seat, req.userId)) }),
      applyEntry(db, entry, -battle.entry),
      seatInsert(db, { battleId: battle.id, seat, userId: req.userId, bot: false, displayName: req.displayName, clientSeed: req.clientSeed ?? randomToken(12), ledgerId: entry.id, joinedAt: req.at }, key),
      takeSeats(db, battle.id, 1, req.at, key),
    ]);
    const after = balanceRows[0];
    if (after) return { battleId: battle.id, after, delta: -battle.entry };
  } catch (err) {
    if (constraintFailed(err, "balance")) throw insufficient();
    // The unique keys are the last line behind the guard: a seat or a player twice.
    if (constraintFailed(err, "battle_seats")) return null;
    if (!(req.idempotencyKey && isConstraintError(err))) throw err;
  }
  if (req.idempotencyKey) {
    const first = await db.select().from(ledger).where(and(eq(ledger.userId, req.userId), eq(ledger.idempotencyKey, req.idempotencyKey))).get();
    if (first) return replayOf(first, req.requestHash);
  }
  return null;
}

/**
 * The creator fills every empty seat with a bot: one `battle_entry` of the house for all of them,
 * guarded on the battle still waiting with exactly the seats read, then the bots' seats and the
 * count, which starts the battle. Bots get random client seeds, recorded on their seats like anyone's.
 */
export async function fillWithBots(db: Db, loaded: LoadedBattle, userId: string, at: number): Promise<{ houseAfter: { balance: number; version: number } }> {
  const { battle, seats } = loaded;
  if (battle.creatorId !== userId) throw forbidden("Only the battle's creator can add bots.");
  assertWaiting(battle, at);
  const empty = freeSeats(battle, seats);
  const amount = -battle.entry * empty.length;
  const entry: EntryDraft = { id: crypto.randomUUID(), userId: HOUSE_USER_ID, at, reason: "battle_entry", ref: battle.id, note: `${empty.length} bot seat(s)`, idempotencyKey: null, requestHash: "" };
  const key = { userId: HOUSE_USER_ID, at, id: entry.id };
  try {
    const [, balanceRows] = await db.batch([
      insertEntry(db, entry, { amount, guard: stillWaiting(battle.id, at, seats.length) }),
      applyEntry(db, entry, amount),
      ...empty.map((seat) => seatInsert(db, { battleId: battle.id, seat, userId: null, bot: true, displayName: `Bot ${seat}`, clientSeed: randomToken(12), ledgerId: entry.id, joinedAt: at }, key)),
      takeSeats(db, battle.id, empty.length, at, key),
    ]);
    const houseAfter = balanceRows[0];
    if (houseAfter) return { houseAfter };
  } catch (err) {
    if (constraintFailed(err, "balance")) throw unprocessable("house_insufficient_balance", "The house cannot fund bots right now.");
    if (!constraintFailed(err, "battle_seats")) throw err;
  }
  // A player joined (or the battle ended) since the read.
  throw notWaiting();
}
