import type { IRequest } from "itty-router";
import { catalogDb, userDb } from "../../db/databases";
import { notFound } from "../../http/errors";
import { readIdempotencyKey, REPLAY_HEADER, requestHash } from "../../http/idempotency";
import { parseJson, parseParams, parseQuery } from "../../http/validate";
import { realtime } from "../../realtime/publish";
import type { Auth } from "../auth/policy";
import { upgraderConfig } from "./config";
import { getUpgradeProof } from "./proof";
import { listTargets, listUpgrades } from "./queries";
import { MAX_CHANCE, MIN_CHANCE } from "./rules";
import type { PublicEvent } from "../../realtime/events";
import { targetsQuery, upgradeBody, upgradeRef, upgradesQuery, type TargetPage, type UpgradeResult } from "./schemas";
import { upgradeItems } from "./upgrade";

export async function handleListTargets(request: IRequest, env: Env): Promise<Response> {
  const filter = parseQuery(request, targetsQuery);
  const page = await listTargets(catalogDb(env), filter);
  return Response.json({ houseEdge: upgraderConfig(env).houseEdge, minChance: MIN_CHANCE, maxChance: MAX_CHANCE, ...page } satisfies TargetPage);
}

export async function handleUpgrade(request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const body = await parseJson(request, upgradeBody);
  const idempotencyKey = readIdempotencyKey(request);
  const config = upgraderConfig(env);
  const itemIds = [...body.itemIds].sort();
  const pick = body.targetItemId !== undefined ? { itemId: body.targetItemId } : { multiplier: body.multiplier ?? 0 };
  const { result, replayed } = await upgradeItems(userDb(env, { userId: auth.user.id }), {
    userId: auth.user.id,
    itemIds,
    pick,
    houseEdge: config.houseEdge,
    idempotencyKey,
    requestHash: await requestHash("upgrade", { itemIds, ...pick }),
  });
  if (replayed) return Response.json(result, { status: 201, headers: REPLAY_HEADER });

  const live = realtime(env, ctx);
  await live.toUser(auth.user.id, [
    { event: "inventory:updated", data: { version: result.version, removed: result.staked.items.map((i) => i.id), ...(result.item ? { added: [result.item] } : {}) } },
  ]);
  // Held by the lobby like every drop until the reveal (REVEAL_MS, the case reel's, is longer than the dial's spin).
  if (result.won && result.target.value >= config.dropMinValue) live.toLobby([winDrop(result, auth.user.displayName)]);
  return Response.json(result, { status: 201 });
}

/** A won upgrade as the drops feed shows it. */
function winDrop(result: UpgradeResult, userDisplayName: string): PublicEvent {
  const { target } = result;
  return {
    event: "drops:new",
    data: {
      id: result.id,
      caseId: target.caseId,
      item: { id: target.itemId, name: target.name, imageUrl: target.imageUrl, rarity: target.rarity, value: target.value, kind: "skin" },
      userDisplayName,
      at: result.createdAt,
    },
  };
}

export async function handleListUpgrades(request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  return Response.json(await listUpgrades(userDb(env, { userId: auth.user.id }), auth.user.id, parseQuery(request, upgradesQuery)));
}

export async function handleGetUpgrade(request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const { id } = parseParams(request.params, upgradeRef);
  const proof = await getUpgradeProof(userDb(env, { userId: auth.user.id }), auth.user.id, id);
  if (!proof) throw notFound("Upgrade");
  return Response.json(proof);
}
