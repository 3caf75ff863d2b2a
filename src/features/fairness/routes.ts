import type { IRequest } from "itty-router";
import { and, desc, eq, isNotNull, isNull } from "drizzle-orm";
import { z } from "zod";
import { constraintFailed, createDb } from "../../db/client";
import { conflict } from "../../http/errors";
import { serverSeeds } from "../../db/schema";
import { requireUser } from "../../http/auth";
import { parseJson } from "../../http/validate";
import { now } from "../../lib/time";
import { newServerSeed } from "./seeds";

const clientSeedBody = z.object({
  clientSeed: z
    .string()
    .trim()
    .min(1, "is required")
    .max(64, "must be at most 64 characters")
    .regex(/^[\x21-\x7e]+$/, "may use printable ASCII without spaces"),
});

/** What a player sees of their seed pair: never the active server seed itself, only its hash. */
function activeView(row: typeof serverSeeds.$inferSelect) {
  return { seedId: row.id, serverSeedHash: row.seedHash, clientSeed: row.clientSeed, nextNonce: row.nextNonce, createdAt: row.createdAt };
}

async function activeSeed(env: Env, userId: string) {
  const row = await createDb(env.DB)
    .select()
    .from(serverSeeds)
    .where(and(eq(serverSeeds.userId, userId), isNull(serverSeeds.revealedAt)))
    .get();
  if (!row) throw new Error(`user ${userId} has no active server seed`);
  return row;
}

export async function handleGetFairness(request: IRequest, env: Env) {
  const auth = await requireUser(request, env);
  const db = createDb(env.DB);
  const revealed = await db
    .select()
    .from(serverSeeds)
    .where(and(eq(serverSeeds.userId, auth.user.id), isNotNull(serverSeeds.revealedAt)))
    .orderBy(desc(serverSeeds.revealedAt))
    .limit(20);
  return {
    active: activeView(await activeSeed(env, auth.user.id)),
    revealed: revealed.map((r) => ({ seedId: r.id, serverSeed: r.seed, serverSeedHash: r.seedHash, clientSeed: r.clientSeed, noncesUsed: r.nextNonce, revealedAt: r.revealedAt })),
  };
}

/** A new client seed applies to the next roll; the committed server seed and nonce carry on. */
export async function handleSetClientSeed(request: IRequest, env: Env) {
  const auth = await requireUser(request, env);
  const { clientSeed } = await parseJson(request, clientSeedBody);
  const row = await createDb(env.DB)
    .update(serverSeeds)
    .set({ clientSeed })
    .where(and(eq(serverSeeds.userId, auth.user.id), isNull(serverSeeds.revealedAt)))
    .returning()
    .get();
  if (!row) throw new Error(`user ${auth.user.id} has no active server seed`);
  return { active: activeView(row) };
}

/** Reveals the active server seed and commits to a new one, atomically. */
export async function handleRotateSeed(request: IRequest, env: Env) {
  const auth = await requireUser(request, env);
  const db = createDb(env.DB);
  const current = await activeSeed(env, auth.user.id);
  const at = now();
  const next = await newServerSeed(auth.user.id, current.clientSeed, at);
  // Guarded on the id we read: a concurrent rotation makes this batch reveal nothing and
  // its insert then violates the one-active-seed index, so only one rotation wins.
  let revealedRows: (typeof serverSeeds.$inferSelect)[];
  try {
    [revealedRows] = await db.batch([
      db
        .update(serverSeeds)
        .set({ revealedAt: at })
        .where(and(eq(serverSeeds.id, current.id), isNull(serverSeeds.revealedAt)))
        .returning(),
      db.insert(serverSeeds).values(next),
    ]);
  } catch (err) {
    if (constraintFailed(err, "server_seeds.user_id")) throw conflict("rotation_in_progress", "Another rotation just happened; fetch the seeds again.");
    throw err;
  }
  const revealed = revealedRows[0] ?? current;
  return {
    revealed: { seedId: revealed.id, serverSeed: revealed.seed, serverSeedHash: revealed.seedHash, clientSeed: revealed.clientSeed, noncesUsed: revealed.nextNonce, revealedAt: at },
    active: activeView({ ...next, nextNonce: 0, revealedAt: null }),
  };
}

