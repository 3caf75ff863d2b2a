import type { IRequest } from "itty-router";
import { type Db } from "../../db/client";
import { catalogDb } from "../../db/databases";
import { notFound } from "../../http/errors";
import type { SessionClaim } from "../auth/policy";
import { now } from "../../lib/time";
import { toPublicUser } from "../users/model";
import { sessionUserQuery } from "../users/queries";
import { parseJson, parseParams } from "../../http/validate";
import { realtime } from "../../realtime/publish";
import { revealMs } from "../../realtime/reveal";
import { deleteCase, saveCase, setCaseActive, type CaseChange } from "./admin-cases";
import { toAdminCaseDetail, toCaseDetail, toCaseSummary } from "./model";
import { caseWithItemsStatements, getCaseWithItems, listActiveCases, listAllCases, toCaseWithItems, type CaseWithItems } from "./queries";
import { caseInput, casePatch, caseRef, type CaseList, type CaseResponse } from "./schemas";

export async function handleListCases(_request: IRequest, env: Env): Promise<Response> {
  const { version, cases } = await listActiveCases(catalogDb(env));
  return Response.json({ version, currency: env.CURRENCY, cases: cases.map(toCaseSummary) } satisfies CaseList);
}

export async function handleGetCase(request: IRequest, env: Env): Promise<Response> {
  const { id } = parseParams(request.params, caseRef);
  const found = await getCaseWithItems(catalogDb(env), id);
  if (!found || !found.row.active) throw notFound("Case");
  return Response.json({ case: toCaseDetail(found.row, found.items), revealMs: revealMs(env) } satisfies CaseResponse);
}

export async function handleAdminListCases(_request: IRequest, env: Env): Promise<Response> {
  const all = await listAllCases(catalogDb(env));
  return Response.json({ cases: all.map(({ row, items }) => toAdminCaseDetail(row, items)) });
}

export async function handleAdminGetCase(request: IRequest, env: Env): Promise<Response> {
  const { id } = parseParams(request.params, caseRef);
  const found = await getCaseWithItems(catalogDb(env), id);
  if (!found) throw notFound("Case");
  return Response.json({ case: toAdminCaseDetail(found.row, found.items) });
}

/** Every admin change is announced on the public channel once D1 has committed it. */
function announce(env: Env, ctx: ExecutionContext, change: CaseChange, status = 200): Response {
  realtime(env, ctx).toLobby([
    { event: "cases:updated", data: { version: change.catalogVersion, caseId: change.caseId, action: change.action } },
  ]);
  if (change.action === "deleted") return new Response(null, { status: 204 });
  return Response.json({ case: change.detail, catalogVersion: change.catalogVersion }, { status });
}

export async function handleCreateCase(request: IRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const input = await parseJson(request, caseInput);
  return announce(env, ctx, await saveCase(catalogDb(env), input), 201);
}

/**
 * The admin's session and the case being changed, read in one round trip: every D1 trip
 * before the publish is time the lobby waits for `cases:updated`.
 */
async function adminAndCase(request: IRequest, env: Env, session: SessionClaim): Promise<{ db: Db; existing: CaseWithItems }> {
  const { id } = parseParams(request.params, caseRef);
  const db = catalogDb(env);
  const [userRows, caseRows, itemRows] = await db.batch([sessionUserQuery(db, session.sessionId, now()), ...caseWithItemsStatements(db, id)]);
  const row = userRows[0];
  session.grant(row ? toPublicUser(row.user) : null);
  const existing = toCaseWithItems(caseRows, itemRows);
  if (!existing) throw notFound("Case");
  return { db, existing };
}

export async function handleUpdateCase(request: IRequest, env: Env, ctx: ExecutionContext, session: SessionClaim): Promise<Response> {
  const { db, existing } = await adminAndCase(request, env, session);
  const input = await parseJson(request, caseInput);
  return announce(env, ctx, await saveCase(db, input, existing));
}

export async function handlePatchCase(request: IRequest, env: Env, ctx: ExecutionContext, session: SessionClaim): Promise<Response> {
  const { db, existing } = await adminAndCase(request, env, session);
  const { active } = await parseJson(request, casePatch);
  return announce(env, ctx, await setCaseActive(db, existing, active));
}

export async function handleDeleteCase(request: IRequest, env: Env, ctx: ExecutionContext, session: SessionClaim): Promise<Response> {
  const { db, existing } = await adminAndCase(request, env, session);
  return announce(env, ctx, await deleteCase(db, existing));
}
