import type { IRequest } from "itty-router";
import { and, eq, isNull, sql } from "drizzle-orm";
import { constraintFailed } from "../../db/client";
import { userDb } from "../../db/databases";
import { conflict } from "../../http/errors";
import { serverSeeds, users } from "../../db/schema";
import { parseJson } from "../../http/validate";
import { now } from "../../lib/time";
import type { Auth } from "../auth/policy";
import { activeSeedOf, toActiveSeed, toRevealedSeed } from "./model";
import { activeSeedQuery, isActiveSeed, revealedSeedsQuery, type SeedRow } from "./queries";
import { clientSeedBody, type FairnessView } from "./schemas";
import { newServerSeed } from "./seeds";

export async function handleGetFairness(_request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const db = userDb(env, { userId: auth.user.id });
  const [activeRows, revealed] = await db.batch([activeSeedQuery(db, auth.user.id), revealedSeedsQuery(db, auth.user.id, 20)]);
  const active = activeSeedOf(auth.user.id, activeRows[0]);
  return Response.json({
    active: toActiveSeed(active.seed, active.nextNonce),
    revealed: revealed.map((r) => toRevealedSeed(r, r.revealedAt ?? 0)),
  } satisfies FairnessView);
}

/** A new client seed applies to the next roll; the committed server seed and nonce carry on. */
export async function handleSetClientSeed(request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const { clientSeed } = await parseJson(request, clientSeedBody);
  const db = userDb(env, { userId: auth.user.id });
  const [, activeRows] = await db.batch([db.update(serverSeeds).set({ clientSeed }).where(isActiveSeed(auth.user.id)), activeSeedQuery(db, auth.user.id)]);
  const active = activeSeedOf(auth.user.id, activeRows[0]);
  return Response.json({ active: toActiveSeed(active.seed, active.nextNonce) });
}

/** Reveals the active server seed and commits to a new one, atomically. */
export async function handleRotateSeed(_request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const db = userDb(env, { userId: auth.user.id });
  const current = activeSeedOf(auth.user.id, await activeSeedQuery(db, auth.user.id).get()).seed;
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
  return Response.json({
    revealed: toRevealedSeed(revealed, at),
    active: toActiveSeed({ ...next, nextNonce: 0, revealedAt: null }, 0),
  });
}

