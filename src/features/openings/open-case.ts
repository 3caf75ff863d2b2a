import { and, eq, sql } from "drizzle-orm";
import { constraintFailed, type Db } from "../../db/client";
import { selectInColumnOrder, value } from "../../db/insert-select";
import { caseRevisions, cases, ledger, openings, serverSeeds, sessions, users, type LedgerRow, type RevisionItem } from "../../db/schema";
import { assertSameRequest } from "../../http/idempotency";
import { notFound, unauthorized, unprocessable } from "../../http/errors";
import { now } from "../../lib/time";
import { toPublicUser, type PublicUser } from "../users/model";
import { liveSessionUserId } from "../users/queries";
import { byIdOrSlug } from "../cases/queries";
import { toWonItem, type OpenResult } from "./model";
import { rollItems } from "./rolls";

export interface OpenRequest {
  sessionId: string;
  caseRef: string;
  count: number;
  idempotencyKey: string | null;
  requestHash: string;
}

export interface OpenOutcome {
  user: PublicUser;
  result: OpenResult;
  replayed: boolean;
}

const insufficient = () => unprocessable("insufficient_balance", "Your balance is too low to open this case.");

/**
 * Opens 1–5 copies of a case in exactly two D1 round trips.
 *
 * 1. One batch reads the session's user, the case at its current revision and any earlier
 *    result for the idempotency key, and reserves `count` nonces on the user's active seed.
 *    The reservation is an `UPDATE … RETURNING`, so concurrent opens never share a nonce.
 * 2. With the rolls computed, one batch writes the ledger row, the balance and the items.
 *    `CHECK (balance >= 0)` is the money guard: an overdraw aborts the whole batch, and the
 *    `UNIQUE` idempotency key makes a concurrent duplicate abort too. A burnt nonce is harmless:
 *    every opening names its own nonce.
 */
export async function openCase(db: Db, req: OpenRequest): Promise<OpenOutcome> {
  const at = now();
  const sessionUserId = liveSessionUserId(req.sessionId, at);
  const activeCase = and(byIdOrSlug(req.caseRef), eq(cases.active, true));
  const keyUsed = req.idempotencyKey
    ? sql`EXISTS (SELECT 1 FROM ${ledger} WHERE ${ledger.userId} = ${sessionUserId} AND ${ledger.idempotencyKey} = ${req.idempotencyKey})`
    : sql`0`;

  const [userRows, caseRows, priorRows, seedRows] = await db.batch([
    db
      .select({ user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, req.sessionId), sql`${sessions.revokedAt} IS NULL`, sql`${sessions.expiresAt} > ${at}`)),
    db
      .select({ id: cases.id, version: caseRevisions.version, price: caseRevisions.price, items: caseRevisions.items })
      .from(cases)
      .innerJoin(caseRevisions, and(eq(caseRevisions.caseId, cases.id), eq(caseRevisions.version, cases.version)))
      .where(activeCase),
    db.select().from(ledger).where(and(sql`${ledger.userId} = ${sessionUserId}`, req.idempotencyKey ? eq(ledger.idempotencyKey, req.idempotencyKey) : sql`0`)),
    db
      .update(serverSeeds)
      .set({ nextNonce: sql`${serverSeeds.nextNonce} + ${req.count}` })
      .where(
        and(
          sql`${serverSeeds.userId} = ${sessionUserId}`,
          sql`${serverSeeds.revealedAt} IS NULL`,
          sql`EXISTS (SELECT 1 FROM ${cases} WHERE ${activeCase})`,
          sql`NOT ${keyUsed}`,
        ),
      )
      .returning(),
  ]);

  const userRow = userRows[0]?.user;
  if (!userRow) throw unauthorized();
  const user = toPublicUser(userRow);
  const prior = priorRows[0];
  if (prior) return { user, result: await loadOpenResult(db, prior, req.requestHash), replayed: true };
  const target = caseRows[0];
  if (!target) throw notFound("Case");
  const seed = seedRows[0];
  if (!seed) throw new Error(`user ${user.id} has no active server seed`);

  const total = target.price * req.count;
  const firstNonce = seed.nextNonce - req.count;
  const rolls = await rollItems(seed, firstNonce, req.count, target.items);
  const ledgerId = crypto.randomUUID();

  try {
    const [, balanceRows, inserted] = await db.batch([
      db.insert(ledger).select(
        db
          .select(
            selectInColumnOrder(ledger, {
              id: value(ledgerId),
              userId: sql`${users.id}`,
              delta: value(-total),
              balanceAfter: sql`${users.balance} - ${total}`,
              accountVersion: sql`${users.version} + 1`,
              reason: value("open"),
              ref: value(target.id),
              idempotencyKey: value(req.idempotencyKey),
              requestHash: value(req.idempotencyKey ? req.requestHash : null),
              createdAt: value(at),
            }),
          )
          .from(users)
          .where(eq(users.id, user.id)),
      ),
      db
        .update(users)
        .set({ balance: sql`${users.balance} - ${total}`, version: sql`${users.version} + 1` })
        .where(eq(users.id, user.id))
        .returning({ balance: users.balance, version: users.version }),
      db
        .insert(openings)
        .values(rolls.map((r) => openingRow(user.id, target, ledgerId, seed, r.nonce, r.roll, r.item, at)))
        .returning(),
    ]);
    const after = balanceRows[0];
    if (!after) throw new Error("balance update returned no row");
    return {
      user: { ...user, balance: after.balance, version: after.version },
      replayed: false,
      result: {
        ledgerEntryId: ledgerId,
        caseId: target.id,
        caseVersion: target.version,
        count: req.count,
        price: target.price,
        total,
        balance: after.balance,
        version: after.version,
        seed: { id: seed.id, hash: seed.seedHash, clientSeed: seed.clientSeed },
        items: inserted.map(toWonItem),
      },
    };
  } catch (err) {
    if (constraintFailed(err, "balance")) throw insufficient();
    if (constraintFailed(err, "ledger.user_id, ledger.idempotency_key") && req.idempotencyKey) {
      // A concurrent request with the same key committed first: answer with its result.
      const first = await db.select().from(ledger).where(and(eq(ledger.userId, user.id), eq(ledger.idempotencyKey, req.idempotencyKey))).get();
      if (first) return { user, result: await loadOpenResult(db, first, req.requestHash), replayed: true };
    }
    throw err;
  }
}

function openingRow(
  userId: string,
  target: { id: string; version: number; price: number },
  ledgerId: string,
  seed: { id: string; clientSeed: string },
  nonce: number,
  roll: number,
  item: RevisionItem,
  at: number,
): typeof openings.$inferInsert {
  return {
    id: crypto.randomUUID(),
    userId,
    caseId: target.id,
    caseVersion: target.version,
    price: target.price,
    ledgerId,
    seedId: seed.id,
    clientSeed: seed.clientSeed,
    nonce,
    roll,
    itemId: item.id,
    itemName: item.name,
    itemImageUrl: item.imageUrl,
    itemRarity: item.rarity,
    itemValue: item.value,
    itemKind: item.kind,
    status: "owned",
    createdAt: at,
  };
}

/** Rebuilds the first response for a replayed key from what the first request wrote. */
async function loadOpenResult(db: Db, entry: LedgerRow, hash: string): Promise<OpenResult> {
  assertSameRequest(entry.requestHash, hash);
  if (entry.reason !== "open") throw unprocessable("idempotency_key_reused", "This Idempotency-Key was already used for a different request.");
  const rows = await db
    .select()
    .from(openings)
    .where(and(eq(openings.userId, entry.userId), eq(openings.ledgerId, entry.id)))
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
