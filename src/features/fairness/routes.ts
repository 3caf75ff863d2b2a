import type { IRequest } from "itty-router";
import { and, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { constraintFailed, createDb, type Db } from "../../db/client";
import { conflict } from "../../http/errors";
import { serverSeeds, users } from "../../db/schema";
import { parseJson } from "../../http/validate";
import { now } from "../../lib/time";
import type { Auth } from "../auth/policy";
import { newServerSeed } from "./seeds";

const clientSeedBody = z.object({
  clientSeed: z
    .string()
    .trim()
    .min(1, "is required")
    .max(64, "must be at most 64 characters")
    .regex(/^[\x21-\x7e]+$/, "may use printable ASCII without spaces"),
});

type SeedRow = typeof serverSeeds.$inferSelect;

/**
 * What a player sees of their seed pair: never the active server seed itself, only its hash.
 * `nextNonce` is the user's counter (users.next_nonce), which openings advance.
 */
function activeView(row: SeedRow, nextNonce: number) {
  return { seedId: row.id, serverSeedHash: row.seedHash, clientSeed: row.clientSeed, nextNonce, createdAt: row.createdAt };
}

const isActive = (userId: string) => and(eq(serverSeeds.userId, userId), isNull(serverSeeds.revealedAt));

/** The active seed with the user's next nonce, read together. */
function activeSeedQuery(db: Db, userId: string) {
  // Aliased: server_seeds has a next_nonce column too, and D1 rows are keyed by column name.
  const nextNonce = sql<number>`${users.nextNonce}`.as("user_next_nonce");
  return db.select({ seed: serverSeeds, nextNonce }).from(serverSeeds).innerJoin(users, eq(users.id, serverSeeds.userId)).where(isActive(userId));
}

function present(userId: string, row: { seed: SeedRow; nextNonce: number } | undefined) {
  if (!row) throw new Error(`user ${userId} has no active server seed`);
  return row;
}

export async function handleGetFairness(_request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth) {
  const db = createDb(env.DB);
  const [activeRows, revealed] = await db.batch([
    activeSeedQuery(db, auth.user.id),
    db
      .select()
      .from(serverSeeds)
      .where(and(eq(serverSeeds.userId, auth.user.id), isNotNull(serverSeeds.revealedAt)))
      .orderBy(desc(serverSeeds.revealedAt))
      .limit(20),
  ]);
  const active = present(auth.user.id, activeRows[0]);
  return {
    active: activeView(active.seed, active.nextNonce),
    revealed: revealed.map((r) => ({ seedId: r.id, serverSeed: r.seed, serverSeedHash: r.seedHash, clientSeed: r.clientSeed, noncesUsed: r.nextNonce, revealedAt: r.revealedAt })),
  };
}

/** A new client seed applies to the next roll; the committed server seed and nonce carry on. */
export async function handleSetClientSeed(request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth) {
  const { clientSeed } = await parseJson(request, clientSeedBody);
  const db = createDb(env.DB);
  const [, activeRows] = await db.batch([db.update(serverSeeds).set({ clientSeed }).where(isActive(auth.user.id)), activeSeedQuery(db, auth.user.id)]);
  const active = present(auth.user.id, activeRows[0]);
  return { active: activeView(active.seed, active.nextNonce) };
}

/** Reveals the active server seed and commits to a new one, atomically. */
export async function handleRotateSeed(_request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth) {
  const db = createDb(env.DB);
  const current = present(auth.user.id, await activeSeedQuery(db, auth.user.id).get()).seed;
  const at = now();
  const next = await newServerSeed(auth.user.id, current.clientSeed, at);
  // Guarded on the id we read: a concurrent rotation makes this batch reveal nothing and
  // its insert then violates the one-active-seed index, so only one rotation wins. The revealed
  // seed keeps the count of nonces it served; the new one starts at nonce 0.
  let revealedRows: SeedRow[];
  try {
    [revealedRows] = await db.batch([
      db
        .update(serverSeeds)
        .set({ revealedAt: at, nextNonce: sql`(SELECT ${users.nextNonce} FROM ${users} WHERE ${users.id} = ${auth.user.id})` })
        .where(and(eq(serverSeeds.id, current.id), isNull(serverSeeds.revealedAt)))
        .returning(),
      db.insert(serverSeeds).values(next),
      db.update(users).set({ nextNonce: 0 }).where(eq(users.id, auth.user.id)),
    ]);
  } catch (err) {
    if (constraintFailed(err, "server_seeds.user_id")) throw conflict("rotation_in_progress", "Another rotation just happened; fetch the seeds again.");
    throw err;
  }
  const revealed = revealedRows[0] ?? current;
  return {
    revealed: { seedId: revealed.id, serverSeed: revealed.seed, serverSeedHash: revealed.seedHash, clientSeed: revealed.clientSeed, noncesUsed: revealed.nextNonce, revealedAt: at },
    active: activeView({ ...next, nextNonce: 0, revealedAt: null }, 0),
  };
}

