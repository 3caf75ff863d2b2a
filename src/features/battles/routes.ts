import type { IRequest } from "itty-router";
import { createDb, type Db } from "../../db/client";
import { notFound } from "../../http/errors";
import { readIdempotencyKey, REPLAY_HEADER, requestHash } from "../../http/idempotency";
import { parseJson, parseParams, parseQuery } from "../../http/validate";
import { now } from "../../lib/time";
import { realtime, type Realtime } from "../../realtime/publish";
import { isUpgrade, upgradeRequired } from "../../realtime/sockets";
import { battleRoom } from "../../realtime/stubs";
import type { Auth } from "../auth/policy";
import { battleSocketQuery } from "../realtime/schemas";
import { battleConfig } from "./config";
import { createBattle, type Charge } from "./create";
import { cancelBattle, type AccountChange } from "./end";
import { HOUSE_USER_ID } from "./house";
import { fillWithBots, joinBattle } from "./join";
import { outcomeOf } from "./outcome";
import { listBattles, loadBattle, loadRevisions, type LoadedBattle } from "./queries";
import { battleRef, battlesQuery, createBattleBody, joinBattleBody, type BattleResponse } from "./schemas";
import { progressAt, toState } from "./view";

/** The battle as revealed now: the one answer of every battle route. */
async function stateNow(db: Db, loaded: LoadedBattle): Promise<BattleResponse> {
  const revisions = await loadRevisions(db, loaded.battle);
  const outcome = loaded.battle.startedAt === null ? null : await outcomeOf(db, loaded, revisions);
  const at = now();
  return { battle: toState(loaded.battle, loaded.seats, revisions, outcome, progressAt(loaded.battle, at), at) };
}

async function mustLoad(db: Db, battleId: string): Promise<LoadedBattle> {
  const loaded = await loadBattle(db, battleId);
  if (!loaded) throw notFound("Battle");
  return loaded;
}

async function answer(db: Db, live: Realtime, userId: string, charge: Charge, status: 200 | 201): Promise<Response> {
  if (charge.after === null) return Response.json(await stateNow(db, await mustLoad(db, charge.battleId)), { status, headers: REPLAY_HEADER });
  await live.toUser(userId, [{ event: "balance:updated", data: { balance: charge.after.balance, delta: charge.delta, reason: "battle_entry", version: charge.after.version } }]);
  await live.toBattle(charge.battleId);
  return Response.json(await stateNow(db, await mustLoad(db, charge.battleId)), { status });
}

export async function handleCreateBattle(request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const body = await parseJson(request, createBattleBody);
  const idempotencyKey = readIdempotencyKey(request);
  const db = createDb(env.DB);
  const charge = await createBattle(db, {
    userId: auth.user.id,
    displayName: auth.user.displayName,
    body,
    config: battleConfig(env),
    idempotencyKey,
    requestHash: await requestHash("battle_create", { cases: body.cases.join("\n"), format: body.format, mode: body.mode, private: body.private, clientSeed: body.clientSeed }),
    at: now(),
  });
  return answer(db, realtime(env, ctx), auth.user.id, charge, 201);
}

export async function handleJoinBattle(request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const { id } = parseParams(request.params, battleRef);
  const body = await parseJson(request, joinBattleBody);
  const idempotencyKey = readIdempotencyKey(request);
  const db = createDb(env.DB);
  const charge = await joinBattle(db, {
    battleId: id,
    userId: auth.user.id,
    displayName: auth.user.displayName,
    seat: body.seat,
    clientSeed: body.clientSeed,
    idempotencyKey,
    requestHash: await requestHash("battle_join", { battleId: id, seat: body.seat, clientSeed: body.clientSeed }),
    at: now(),
  });
  return answer(db, realtime(env, ctx), auth.user.id, charge, 200);
}

export async function handleAddBots(request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const { id } = parseParams(request.params, battleRef);
  const db = createDb(env.DB);
  await fillWithBots(db, await mustLoad(db, id), auth.user.id, now());
  await realtime(env, ctx).toBattle(id);
  return Response.json(await stateNow(db, await mustLoad(db, id)));
}

export async function handleCancelBattle(request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const { id } = parseParams(request.params, battleRef);
  const db = createDb(env.DB);
  const refunds = await cancelBattle(db, await mustLoad(db, id), auth.user.id, now());
  const live = realtime(env, ctx);
  await Promise.all(refunds.filter((c) => c.userId !== HOUSE_USER_ID).map((c) => live.toUser(c.userId, [refundEvent(c)])));
  await live.toBattle(id);
  return Response.json(await stateNow(db, await mustLoad(db, id)));
}

const refundEvent = (c: AccountChange) => ({ event: "balance:updated" as const, data: { balance: c.balance, delta: c.delta, reason: "battle_refund" as const, version: c.version } });

export async function handleListBattles(request: IRequest, env: Env): Promise<Response> {
  return Response.json(await listBattles(createDb(env.DB), parseQuery(request, battlesQuery)));
}

export async function handleGetBattle(request: IRequest, env: Env): Promise<Response> {
  const { id } = parseParams(request.params, battleRef);
  const db = createDb(env.DB);
  return Response.json(await stateNow(db, await mustLoad(db, id)), { headers: { "cache-control": "no-store" } });
}

/** `GET /ws/battle/:id`: anyone with the id watches; the room refuses (404) a battle that does not exist. */
export async function handleBattleSocket(request: IRequest, env: Env): Promise<Response> {
  if (!isUpgrade(request)) throw upgradeRequired();
  const { id } = parseParams(request.params, battleRef);
  const query = parseQuery(request, battleSocketQuery);
  const target = new URL("https://battle/connect");
  if (query.since !== undefined && query.epoch !== undefined) {
    target.searchParams.set("since", String(query.since));
    target.searchParams.set("epoch", query.epoch);
  }
  return battleRoom(env, id).fetch(new Request(target, { headers: { upgrade: "websocket" } }));
}
