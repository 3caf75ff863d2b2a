import type { IRequest } from "itty-router";
import { directoryDb, userDb } from "../../db/databases";
import { notFound } from "../../http/errors";
import { clientAddress, enforceLimit } from "../../http/rate-limit";
import { readIdempotencyKey, REPLAY_HEADER, requestHash } from "../../http/idempotency";
import { parseJson, parseParams } from "../../http/validate";
import { now } from "../../lib/time";
import { realtime } from "../../realtime/publish";
import type { Auth } from "../auth/policy";
import { toPromoCodeView } from "./model";
import { disablePromoCode, insertPromoCode, listPromoCodes } from "./queries";
import { redeemPromoCode } from "./redeem";
import { promoCodeInput, promoCodeRef, redeemBody, type PromoCodeList } from "./schemas";

export async function handleRedeemPromo(request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth): Promise<Response> {
  // Before anything is looked up: a guess refused here learns nothing about the code.
  await enforceLimit(env.PROMO_ACCOUNT_LIMITER, auth.user.id);
  await enforceLimit(env.PROMO_ADDRESS_LIMITER, clientAddress(request));
  const { code } = await parseJson(request, redeemBody);
  const { replayed, ...result } = await redeemPromoCode(userDb(env, { userId: auth.user.id }), {
    userId: auth.user.id,
    code,
    idempotencyKey: readIdempotencyKey(request),
    requestHash: await requestHash("promo", { code }),
    at: now(),
  });
  if (replayed) return Response.json(result, { status: 201, headers: REPLAY_HEADER });
  await realtime(env, ctx).toUser(auth.user.id, [
    { event: "balance:updated", data: { balance: result.balance, delta: result.amount, reason: "promo", version: result.version } },
  ]);
  return Response.json(result, { status: 201 });
}

export async function handleCreatePromoCode(request: IRequest, env: Env, _ctx: ExecutionContext, auth: Auth): Promise<Response> {
  const input = await parseJson(request, promoCodeInput);
  const at = now();
  const row = await insertPromoCode(directoryDb(env), input, auth.user.id, at);
  return Response.json({ promoCode: toPromoCodeView(row, at) }, { status: 201 });
}

export async function handleListPromoCodes(_request: IRequest, env: Env): Promise<Response> {
  const at = now();
  const rows = await listPromoCodes(directoryDb(env));
  return Response.json({ promoCodes: rows.map((row) => toPromoCodeView(row, at)) } satisfies PromoCodeList);
}

export async function handleDisablePromoCode(request: IRequest, env: Env): Promise<Response> {
  const { id } = parseParams(request.params, promoCodeRef);
  const at = now();
  const row = await disablePromoCode(directoryDb(env), id, at);
  if (!row) throw notFound("Promo code");
  return Response.json({ promoCode: toPromoCodeView(row, at) });
}
