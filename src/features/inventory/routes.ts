import type { IRequest } from "itty-router";
import { userDb } from "../../db/databases";
import { readIdempotencyKey, REPLAY_HEADER, requestHash } from "../../http/idempotency";
import { parseJson, parseQuery } from "../../http/validate";
import { realtime } from "../../realtime/publish";
import type { Auth } from "../auth/policy";
import { listInventory } from "./queries";
import { inventoryQuery, settleBody } from "./schemas";
import { settleItems, type Settlement } from "./settle";

export async function handleListInventory(request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const query = parseQuery(request, inventoryQuery);
  return Response.json(await listInventory(userDb(env, { userId: auth.user.id }), auth.user.id, query));
}

async function settle(action: Settlement, request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const body = await parseJson(request, settleBody);
  const idempotencyKey = readIdempotencyKey(request);
  const itemId = "itemId" in body ? body.itemId : null;
  const { replayed, ...result } = await settleItems(userDb(env, { userId: auth.user.id }), {
    userId: auth.user.id,
    action,
    itemId,
    idempotencyKey,
    requestHash: await requestHash(action, { itemId }),
  });
  // A replay publishes again too: the first attempt's publish may have been lost with its answer.
  if (result.itemIds.length > 0) {
    await realtime(env, ctx).toUser(auth.user.id, [
      { event: "balance:updated", data: { balance: result.balance, delta: result.credited, reason: action, version: result.version } },
      { event: "inventory:updated", data: { version: result.version, removed: result.itemIds } },
    ]);
  }
  return Response.json(result, { headers: replayed ? REPLAY_HEADER : undefined });
}

export const handleClaim = (request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth) => settle("claim", request, env, ctx, auth);
export const handleSell = (request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth) => settle("sell", request, env, ctx, auth);
