import { and, eq, inArray, sql } from "drizzle-orm";
import { constraintFailed, isConstraintError, type Db } from "../../db/client";
import { caseRevisions, cases, ledger, openings, OPENING_STATUSES, serverSeeds, sessions, users, type LedgerRow, type OpeningRow } from "../../db/schema";
import { notFound, unauthorized, unprocessable } from "../../http/errors";
import { now } from "../../lib/time";
import { assertReplayOf } from "../ledger/guarded-entry";
import { keyUnused, priorEntryQuery } from "../ledger/idempotency-guards";
import { liveSessionUserId } from "../users/queries";
import { byIdOrSlug } from "../cases/queries";
import { toWonItem } from "./model";
import type { OpenResult } from "./schemas";
import { writeAward, type Award } from "./award";
import { assertFreeOpenAllowed, claimQuery, freeOpenAllowed } from "./free-claims";
import { rollItems } from "./rolls";
import { warmCases, warmSessions, type WarmCase, type WarmSession } from "./warm-state";

export interface OpenRequest {
  sessionId: string;
  caseRef: string;
  count: number;
  idempotencyKey: string | null;
  requestHash: string;
}

export interface OpenOutcome {
  userId: string;
  displayName: string;
  result: OpenResult;
  replayed: boolean;
}

const insufficient = () => unprocessable("insufficient_balance", "Your balance is too low to open this case.");

/**
 * Opens 1–5 copies of a case: one D1 round trip when this isolate has opened for the session
 * before (warm), two otherwise (cold). Money is guarded by `CHECK (balance >= 0)` in the batch
 * that writes, and an idempotency key by `UNIQUE` plus a guard. Warm, everything the isolate
 * remembers (nonces, seeds, session, case version) is re-checked in that same batch; cold, the
 * first batch checks the session and case and reserves the nonces, and the award is charged at
 * the revision it read (revisions never change).
 */
export async function openCase(db: Db, req: OpenRequest): Promise<OpenOutcome> {
  const session = warmSessions.get(req.sessionId);
  const warmCase = warmCases.get(req.caseRef);
  if (session && warmCase) {
    if (warmCase.freeCooldownSeconds !== null) assertFreeOpenAllowed(warmCase.freeCooldownSeconds, undefined, req.count, now());
    const outcome = await openWarm(db, req, session, warmCase);
    if (outcome) return outcome;
    warmSessions.delete(req.sessionId);
    warmCases.delete(req.caseRef);
  }
  return openCold(db, req);
}

/**
 * The warm path rolls with the nonces it expects to be next and claims them in the same batch
 * that writes the award. If anything it assumed is stale (another isolate used the nonces, the
 * client seed changed, the seed was rotated, the session was revoked, the case changed), a
 * guard aborts the batch, nothing is written and the caller takes the cold path. Returns null then.
 */
async function openWarm(db: Db, req: OpenRequest, session: WarmSession, warmCase: WarmCase): Promise<OpenOutcome | null> {
  const at = now();
  const firstNonce = session.nextNonce;
  const nextNonce = firstNonce + req.count;
  const rolls = await rollItems(session.seed, firstNonce, req.count, warmCase.items);
  const award = { userId: session.userId, ledgerId: crypto.randomUUID(), target: warmCase, seed: session.seed, rolls, idempotencyKey: req.idempotencyKey, requestHash: req.requestHash, at, claimsNonces: true };
  // Read from the users row the ledger entry is built from, so the nonces cannot move in between.
  const stillTrue = and(
    sql`${users.id} = ${liveSessionUserId(req.sessionId, at)}`,
    eq(users.nextNonce, firstNonce),
    sql`EXISTS (SELECT 1 FROM ${serverSeeds} WHERE ${serverSeeds.id} = ${session.seed.id} AND ${serverSeeds.clientSeed} = ${session.seed.clientSeed} AND ${serverSeeds.revealedAt} IS NULL)`,
    sql`EXISTS (SELECT 1 FROM ${cases} WHERE ${cases.id} = ${warmCase.id} AND ${cases.version} = ${warmCase.version} AND ${cases.active} = 1)`,
  );
  try {
    const { after, inserted } = await writeAward(db, award, stillTrue);
    session.nextNonce = nextNonce;
    return { userId: session.userId, displayName: session.displayName, replayed: false, result: openResult(award, after, inserted, session.seed.seedHash) };
  } catch (err) {
    // Only reachable with every guard satisfied: the nonces were free, so the warm session stays valid.
    if (constraintFailed(err, "balance")) throw insufficient();
    // A free case's claim refused (within its cooldown) lands here too: the cold path says so.
    if (isConstraintError(err)) return null;
    throw err;
  }
}

/**
 * The cold path, two round trips. One batch reads the session's user, the case at its current
 * revision and any earlier result for the idempotency key, reserves `count` nonces with an
 * `UPDATE … RETURNING` (so concurrent opens never share one) and reads the seed they belong to.
 * Then one batch writes the award.
 * A nonce burnt by a failed award is harmless: every opening names its own nonce.
 */
async function openCold(db: Db, req: OpenRequest): Promise<OpenOutcome> {
  const at = now();
  const sessionUserId = liveSessionUserId(req.sessionId, at);
  const activeCase = and(byIdOrSlug(req.caseRef), eq(cases.active, true));

  const [userRows, caseRows, priorRows, nonceRows, seedRows, claimRows] = await db.batch([
    db
      .select({ id: users.id, displayName: users.displayName })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, req.sessionId), sql`${sessions.revokedAt} IS NULL`, sql`${sessions.expiresAt} > ${at}`)),
    db
      .select({ id: cases.id, version: caseRevisions.version, price: caseRevisions.price, freeCooldownSeconds: cases.freeCooldownSeconds, items: caseRevisions.items })
      .from(cases)
      .innerJoin(caseRevisions, and(eq(caseRevisions.caseId, cases.id), eq(caseRevisions.version, cases.version)))
      .where(activeCase),
    priorEntryQuery(db, sessionUserId, req.idempotencyKey),
    db
      .update(users)
      .set({ nextNonce: sql`${users.nextNonce} + ${req.count}` })
      .where(
        and(
          sql`${users.id} = ${sessionUserId}`,
          sql`EXISTS (SELECT 1 FROM ${cases} WHERE ${activeCase})`,
          keyUnused(sessionUserId, req.idempotencyKey),
          freeOpenAllowed(sessionUserId, activeCase, req.count, at),
        ),
      )
      .returning({ nextNonce: users.nextNonce }),
    db
      .select({ id: serverSeeds.id, seed: serverSeeds.seed, seedHash: serverSeeds.seedHash, clientSeed: serverSeeds.clientSeed })
      .from(serverSeeds)
      .where(and(sql`${serverSeeds.userId} = ${sessionUserId}`, sql`${serverSeeds.revealedAt} IS NULL`)),
    claimQuery(db, sessionUserId, activeCase),
  ]);

  const user = userRows[0];
  if (!user) throw unauthorized();
  const replay = async (entry: LedgerRow): Promise<OpenOutcome> => ({ userId: user.id, displayName: user.displayName, replayed: true, result: await loadOpenResult(db, entry, req.requestHash) });
  const prior = priorRows[0];
  if (prior) return replay(prior);
  const target = caseRows[0];
  if (!target) throw notFound("Case");
  if (target.freeCooldownSeconds !== null) assertFreeOpenAllowed(target.freeCooldownSeconds, claimRows[0]?.lastOpenedAt, req.count, at);
  const seed = seedRows[0];
  const reserved = nonceRows[0];
  if (!seed || !reserved) throw new Error(`user ${user.id} has no active server seed`);

  const rolls = await rollItems(seed, reserved.nextNonce - req.count, req.count, target.items);
  const award = { userId: user.id, ledgerId: crypto.randomUUID(), target, seed, rolls, idempotencyKey: req.idempotencyKey, requestHash: req.requestHash, at, claimsNonces: false };
  try {
    const { after, inserted } = await writeAward(db, award);
    warmSessions.set(req.sessionId, { userId: user.id, displayName: user.displayName, seed, nextNonce: reserved.nextNonce });
    warmCases.set(req.caseRef, target);
    return { userId: user.id, displayName: user.displayName, replayed: false, result: openResult(award, after, inserted, seed.seedHash) };
  } catch (err) {
    if (req.idempotencyKey && isConstraintError(err)) {
      // A concurrent request with the same key committed between our two round trips (its guard
      // then kept our ledger row out and the items' foreign key aborted): answer with its result.
      const first = await db.select().from(ledger).where(and(eq(ledger.userId, user.id), eq(ledger.idempotencyKey, req.idempotencyKey))).get();
      if (first) return replay(first);
    }
    if (constraintFailed(err, "balance")) throw insufficient();
    if (target.freeCooldownSeconds !== null && isConstraintError(err)) {
      // Another open of this free case took the claim between our two round trips.
      const claim = await claimQuery(db, user.id, eq(cases.id, target.id)).get();
      assertFreeOpenAllowed(target.freeCooldownSeconds, claim?.lastOpenedAt, req.count, at);
    }
    throw err;
  }
}

function openResult(award: Award, after: { balance: number; version: number } | undefined, inserted: OpeningRow[], seedHash: string): OpenResult {
  if (!after) throw new Error("balance update returned no row");
  return {
    ledgerEntryId: award.ledgerId,
    caseId: award.target.id,
    caseVersion: award.target.version,
    count: award.rolls.length,
    price: award.target.price,
    total: award.target.price * award.rolls.length,
    balance: after.balance,
    version: after.version,
    seed: { id: award.seed.id, hash: seedHash, clientSeed: award.seed.clientSeed },
    items: inserted.map(toWonItem),
  };
}

/** Rebuilds the first response for a replayed key from what the first request wrote. */
async function loadOpenResult(db: Db, prior: LedgerRow, hash: string): Promise<OpenResult> {
  const entry = assertReplayOf(prior, ["open"], hash);
  const rows = await db
    .select()
    .from(openings)
    // Every status, and the entry's instant: a few seeks into the clustered key, not a scan of the history.
    .where(and(eq(openings.userId, entry.userId), inArray(openings.status, OPENING_STATUSES), eq(openings.createdAt, entry.createdAt), eq(openings.ledgerId, entry.id)))
    .orderBy(openings.nonce);
  const first = rows[0];
  if (!first) throw notFound("Opening");
  const seed = await db.select().from(serverSeeds).where(eq(serverSeeds.id, first.seedId)).get();
  return {
    ledgerEntryId: entry.id,
    caseId: first.caseId,
    caseVersion: first.caseVersion,
    count: rows.length,
    price: first.price,
    total: -entry.delta,
    balance: entry.balanceAfter,
    version: entry.accountVersion,
    seed: { id: first.seedId, hash: seed?.seedHash ?? "", clientSeed: first.clientSeed },
    items: rows.map(toWonItem),
  };
}
