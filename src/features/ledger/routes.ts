import type { IRequest } from "itty-router";
import { userDb } from "../../db/databases";
import { readIdempotencyKey, REPLAY_HEADER, requestHash } from "../../http/idempotency";
import { parseJson, parseParams, parseQuery } from "../../http/validate";
import { realtime } from "../../realtime/publish";
import type { Auth } from "../auth/policy";
import { adjustBalance } from "./adjust";
import { listLedger } from "./queries";

import { userRef } from "../users/schemas";
import { adjustBody, ledgerQuery } from "./schemas";

export async function handleListLedger(request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  return Response.json(await listLedger(userDb(env, { userId: auth.user.id }), auth.user.id, parseQuery(request, ledgerQuery)));
}

export async function handleAdminUserLedger(request: IRequest, env: Env): Promise<Response> {
  const { id } = parseParams(request.params, userRef);
  return Response.json(await listLedger(userDb(env, { userId: id }), id, parseQuery(request, ledgerQuery)));
}

export async function handleAdminAdjustBalance(request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const { id } = parseParams(request.params, userRef);
  const body = await parseJson(request, adjustBody);
  const idempotencyKey = readIdempotencyKey(request);
  const result = await adjustBalance(userDb(env, { userId: id }), {
    userId: id,
    actorId: auth.user.id,
    amount: body.amount,
    reason: body.reason,
    idempotencyKey,
    requestHash: await requestHash("adjust", body),
  });
  // A replay publishes again too: the first attempt's publish may have been lost with its answer.
  await realtime(env, ctx).toUser(id, [
    { event: "balance:updated", data: { balance: result.balance, delta: body.amount, reason: result.entry.reason, version: result.version } },
  ]);
  const { replayed, ...payload } = result;
  return Response.json(payload, { status: 201, headers: replayed ? REPLAY_HEADER : undefined });
}
