import type { IRequest } from "itty-router";
import { createDb } from "../../db/client";
import { requireAdmin } from "../../http/auth";
import { notFound } from "../../http/errors";
import { parseJson, parseParams } from "../../http/validate";
import { realtime } from "../../realtime/publish";
import { deleteCase, saveCase, setCaseActive, type CaseChange } from "./admin-cases";
import { toAdminCaseDetail, toCaseDetail, toCaseSummary } from "./model";
import { getCaseWithItems, listActiveCases, listAllCases } from "./queries";
import { caseInput, casePatch, caseRef } from "./schemas";

export async function handleListCases(_request: IRequest, env: Env) {
  const { version, cases } = await listActiveCases(createDb(env.DB));
  return { version, currency: env.CURRENCY, cases: cases.map(toCaseSummary) };
}

export async function handleGetCase(request: IRequest, env: Env) {
  const { id } = parseParams(request.params, caseRef);
  const found = await getCaseWithItems(createDb(env.DB), id);
  if (!found || !found.row.active) throw notFound("Case");
  return { case: toCaseDetail(found.row, found.items) };
}

export async function handleAdminListCases(request: IRequest, env: Env) {
  await requireAdmin(request, env);
  const all = await listAllCases(createDb(env.DB));
  return { cases: all.map(({ row, items }) => toAdminCaseDetail(row, items)) };
}

export async function handleAdminGetCase(request: IRequest, env: Env) {
  await requireAdmin(request, env);
  const { id } = parseParams(request.params, caseRef);
  const found = await getCaseWithItems(createDb(env.DB), id);
  if (!found) throw notFound("Case");
  return { case: toAdminCaseDetail(found.row, found.items) };
}

/** Every admin change is announced on the public channel once D1 has committed it. */
function announce(env: Env, ctx: ExecutionContext, change: CaseChange, status = 200): Response {
  realtime(env, ctx).toLobby([
    { event: "cases:updated", data: { version: change.catalogVersion, caseId: change.caseId, action: change.action } },
  ]);
  if (change.action === "deleted") return new Response(null, { status: 204 });
  return Response.json({ case: change.detail, catalogVersion: change.catalogVersion }, { status });
}

export async function handleCreateCase(request: IRequest, env: Env, ctx: ExecutionContext) {
  await requireAdmin(request, env);
  const input = await parseJson(request, caseInput);
  return announce(env, ctx, await saveCase(createDb(env.DB), input), 201);
}

export async function handleUpdateCase(request: IRequest, env: Env, ctx: ExecutionContext) {
  await requireAdmin(request, env);
  const { id } = parseParams(request.params, caseRef);
  const input = await parseJson(request, caseInput);
  return announce(env, ctx, await saveCase(createDb(env.DB), input, id));
}

export async function handlePatchCase(request: IRequest, env: Env, ctx: ExecutionContext) {
  await requireAdmin(request, env);
  const { id } = parseParams(request.params, caseRef);
  const { active } = await parseJson(request, casePatch);
  return announce(env, ctx, await setCaseActive(createDb(env.DB), id, active));
}

export async function handleDeleteCase(request: IRequest, env: Env, ctx: ExecutionContext) {
  await requireAdmin(request, env);
  const { id } = parseParams(request.params, caseRef);
  return announce(env, ctx, await deleteCase(createDb(env.DB), id));
}
