import { and, eq, or } from "drizzle-orm";
import { constraintFailed, isConstraintError, type Db } from "../../db/client";
import { battles, caseRevisions, cases, ledger, type BattleRoundRow, type LedgerRow } from "../../db/schema";
import { hashServerSeed } from "../../fairness/verify";
import { notFound, unprocessable } from "../../http/errors";
import { randomToken } from "../../lib/crypto";
import { byIdOrSlug } from "../cases/queries";
import { applyEntry, assertReplayOf, insertEntry, type EntryDraft } from "../ledger/guarded-entry";
import { priorEntryQuery } from "../ledger/idempotency-guards";
import type { BattleConfig } from "./config";
import { insertIfEntry, seatInsert } from "./statements";
import { SEATS_OF } from "./rules";
import type { CreateBattleBody } from "./schemas";

export interface CreateRequest {
  userId: string;
  displayName: string;
  body: CreateBattleBody;
  config: BattleConfig;
  idempotencyKey: string | null;
  requestHash: string;
  at: number;
}

export interface Charge {
  battleId: string;
  /** The account after the charge; null for a replayed key (nothing changed). */
  after: { balance: number; version: number } | null;
  delta: number;
}

export const insufficient = () => unprocessable("insufficient_balance", "Your balance is too low for this battle's entry.");

/**
 * Creates a battle and seats its creator in seat 1, charged the entry: two round trips. The first
 * reads the rounds' cases at their current revisions (and an earlier result for the key); the second
 * is one batch: the guarded `battle_entry`, the balance, the battle and the seat, the last two gated
 * on the entry (CHECK (balance >= 0) aborts the whole batch for a player short of money). Revisions
 * never change, so charging at the one read is exact.
 */
export async function createBattle(db: Db, req: CreateRequest): Promise<Charge> {
  const refs = [...new Set(req.body.cases)];
  const [caseRows, priorRows] = await db.batch([
    db
      .select({ id: cases.id, slug: cases.slug, version: caseRevisions.version, name: caseRevisions.name, price: caseRevisions.price, imageUrl: cases.imageUrl, free: cases.freeCooldownSeconds })
      .from(cases)
      .innerJoin(caseRevisions, and(eq(caseRevisions.caseId, cases.id), eq(caseRevisions.version, cases.version)))
      .where(and(or(...refs.map(byIdOrSlug)), eq(cases.active, true))),
    priorEntryQuery(db, req.userId, req.idempotencyKey),
  ]);
  const prior = priorRows[0];
  if (prior) return replayOf(prior, req.requestHash);

  const rounds: BattleRoundRow[] = req.body.cases.map((ref) => {
    const row = caseRows.find((c) => c.id === ref || c.slug === ref);
    if (!row) throw notFound(`Case ${ref}`);
    if (row.free !== null) throw unprocessable("free_case_in_battle", "Free cases cannot be battled.");
    return { caseId: row.id, version: row.version, name: row.name, imageUrl: row.imageUrl, price: row.price };
  });
  const entryCost = rounds.reduce((sum, r) => sum + r.price, 0);
  const battleId = crypto.randomUUID();
  const serverSeed = randomToken(32);
  const entry: EntryDraft = { id: crypto.randomUUID(), userId: req.userId, at: req.at, reason: "battle_entry", ref: battleId, idempotencyKey: req.idempotencyKey, requestHash: req.requestHash };
  const key = { userId: req.userId, at: req.at, id: entry.id };
  try {
    const [, balanceRows] = await db.batch([
      insertEntry(db, entry, { amount: -entryCost }),
      applyEntry(db, entry, -entryCost),
      insertIfEntry(
        db,
        battles,
        {
          id: battleId,
          creatorId: req.userId,
          format: req.body.format,
          mode: req.body.mode,
          private: req.body.private,
          status: "waiting",
          seatCount: SEATS_OF[req.body.format],
          seatsTaken: 1,
          rounds: JSON.stringify(rounds),
          entry: entryCost,
          serverSeed,
          serverSeedHash: await hashServerSeed(serverSeed),
          roundMs: req.config.roundMs,
          createdAt: req.at,
          expiresAt: req.at + req.config.expiryMs,
          version: 1,
        },
        key,
      ),
      seatInsert(db, { battleId, seat: 1, userId: req.userId, bot: false, displayName: req.displayName, clientSeed: req.body.clientSeed ?? randomToken(12), ledgerId: entry.id, joinedAt: req.at }, key),
    ]);
    const after = balanceRows[0];
    if (after) return { battleId, after, delta: -entryCost };
  } catch (err) {
    if (constraintFailed(err, "balance")) throw insufficient();
    if (!(req.idempotencyKey && isConstraintError(err))) throw err;
  }
  // Only a concurrent request with the same key keeps the entry out: answer with its battle.
  const first = await db.select().from(ledger).where(and(eq(ledger.userId, req.userId), eq(ledger.idempotencyKey, req.idempotencyKey ?? ""))).get();
  if (!first) throw new Error("battle entry was not written and no earlier entry holds the key");
  return replayOf(first, req.requestHash);
}

/** The battle an earlier request with the same key paid for. */
export function replayOf(prior: LedgerRow, requestHash: string): Charge {
  const entry = assertReplayOf(prior, ["battle_entry"], requestHash);
  if (!entry.ref) throw new Error(`battle entry ${entry.id} names no battle`);
  return { battleId: entry.ref, after: null, delta: entry.delta };
}
