import type { IRequest } from "itty-router";
import { userDb } from "../../db/databases";
import { notFound } from "../../http/errors";
import type { Auth, SessionClaim } from "../auth/policy";
import { readIdempotencyKey, REPLAY_HEADER, requestHash } from "../../http/idempotency";
import { parseJson, parseParams } from "../../http/validate";
import { realtime } from "../../realtime/publish";
import { caseRef } from "../cases/schemas";
import { now } from "../../lib/time";
import { listFreeCases } from "./free-claims";
import { openCase } from "./open-case";
import { openBody, openingRef } from "./schemas";
import { getOpeningProof } from "./verification";

/**
 * The session is checked by openCase itself, inside its first batch (cold) or as a guard of its one
 * write batch (warm): one round trip saved on the hot path. A dead session answers 401 either way.
 */
export async function handleOpenCase(request: IRequest, env: Env, ctx: ExecutionContext, session: SessionClaim): Promise<Response> {
  const { id } = parseParams(request.params, caseRef);
  const { count } = await parseJson(request, openBody);
  const idempotencyKey = readIdempotencyKey(request);
  const db = userDb(env, { sessionId: session.sessionId });
  const { userId, displayName, result, replayed } = await openCase(db, {
    sessionId: session.sessionId,
    caseRef: id,
    count,
    idempotencyKey,
    requestHash: await requestHash("open", { case: id, count }),
  });
  const live = realtime(env, ctx);
  const privateEvents = [
    { event: "balance:updated" as const, data: { balance: result.balance, delta: -result.total, reason: "open" as const, version: result.version } },
    { event: "inventory:updated" as const, data: { version: result.version, added: result.items } },
  ];
  // A retry after a lost answer publishes again: the first attempt's publish may have been lost
  // with it (the runtime went down between commit and publish). Clients deliver a version once.
  if (replayed) {
    await live.toUser(userId, privateEvents);
    return Response.json(result, { status: 201, headers: REPLAY_HEADER });
  }

  await live.toUser(userId, privateEvents);
  // Queued as the answer leaves: the lobby shows these wins only once the opener's reel has stopped.
  live.toLobby(
    result.items.map((item) => ({
      event: "drops:new" as const,
      data: {
        id: item.id,
        caseId: item.caseId,
        item: { id: item.itemId, name: item.name, imageUrl: item.imageUrl, rarity: item.rarity, value: item.value, kind: item.kind },
        userDisplayName: displayName,
        at: item.createdAt,
      },
    })),
  );
  return Response.json(result, { status: 201 });
}

export async function handleListFreeCases(_request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  return Response.json(await listFreeCases(userDb(env, { userId: auth.user.id }), auth.user.id, now()), { headers: { "cache-control": "no-store" } });
}

export async function handleGetOpening(request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const { id } = parseParams(request.params, openingRef);
  const proof = await getOpeningProof(userDb(env, { userId: auth.user.id }), auth.user.id, id);
  if (!proof) throw notFound("Opening");
  return Response.json(proof);
}
