import { z } from "zod";
import { loginBody, meResponse, registerBody, sessionGrant } from "../auth/schemas";
import { adminCaseList, adminCaseResponse, caseInput, caseList, casePatch, caseRef, caseResponse, caseSaved } from "../cases/schemas";
import { activeSeedResponse, clientSeedBody, fairnessView, rotation } from "../fairness/schemas";
import { openApiDocument } from "./schemas";
import { healthReport } from "../health/schemas";
import { inventoryPage, inventoryQuery, settleBody, settleResult } from "../inventory/schemas";
import { adjustBody, adjustResult, ledgerPage, ledgerQuery } from "../ledger/schemas";
import { userPage, userRef, usersQuery } from "../users/schemas";
import { openBody, openingProof, openingRef, openResult } from "../openings/schemas";
import { lobbySocketQuery, ticketGrant, userSocketQuery } from "../realtime/schemas";

/**
 * What each route takes and answers, keyed like the router table ("METHOD /path"). The API
 * document (./openapi.ts) is built from this and the router; a test holds the two to each other
 * and checks real responses against these schemas. Every route also answers the one error shape.
 */
export interface Operation {
  summary: string;
  tag: string;
  description?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Whether the route honours an `Idempotency-Key` header (a retry returns the first result). */
  idempotent?: boolean;
  /** Status → schema of the body; `null` for a response without one. */
  responses: Partial<Record<200 | 201 | 101 | 204 | 503, z.ZodType | null>>;
}

const SOCKET = "Upgrade to a WebSocket; frames are described in src/realtime/protocol.ts (JSON objects with a `type`).";

export const OPERATIONS: Record<string, Operation> = {
  "GET /health": { tag: "health", summary: "Health for uptime monitors: 200 while D1 answers, 503 when it does not", responses: { 200: healthReport, 503: healthReport } },

  "GET /api/openapi.json": { tag: "docs", summary: "This document: OpenAPI 3.1, generated from the schemas the Worker validates with", responses: { 200: openApiDocument } },

  "POST /api/auth/register": { tag: "auth", summary: "Create an account and a session (token in the body and an HttpOnly cookie)", body: registerBody, responses: { 201: sessionGrant } },
  "POST /api/auth/login": { tag: "auth", summary: "Log in: a new session", body: loginBody, responses: { 200: sessionGrant } },
  "POST /api/auth/logout": { tag: "auth", summary: "Revoke this session and close its sockets", responses: { 204: null } },
  "GET /api/auth/me": { tag: "auth", summary: "The account behind this session", responses: { 200: meResponse } },

  "GET /api/cases": { tag: "cases", summary: "Active cases, with the catalogue version", responses: { 200: caseList } },
  "GET /api/cases/:id": { tag: "cases", summary: "One active case by id or slug, with every item's chance", params: caseRef, responses: { 200: caseResponse } },
  "POST /api/cases/:id/open": {
    tag: "openings",
    summary: "Open 1–5 copies of a case: charged, rolled provably fair, items into the inventory",
    params: caseRef,
    body: openBody,
    idempotent: true,
    responses: { 201: openResult },
  },
  "GET /api/openings/:id": { tag: "openings", summary: "Everything needed to verify one of your openings", params: openingRef, responses: { 200: openingProof } },

  "GET /api/inventory": { tag: "inventory", summary: "Your items, newest first", query: inventoryQuery, responses: { 200: inventoryPage } },
  "POST /api/inventory/claim": { tag: "inventory", summary: "Claim one money prize, or all of them, into the balance", body: settleBody, idempotent: true, responses: { 200: settleResult } },
  "POST /api/inventory/sell": { tag: "inventory", summary: "Sell one skin, or all of them, for its value", body: settleBody, idempotent: true, responses: { 200: settleResult } },
  "GET /api/ledger": { tag: "ledger", summary: "Your ledger, newest first, with the balance it explains", query: ledgerQuery, responses: { 200: ledgerPage } },

  "POST /api/realtime/ticket": { tag: "realtime", summary: "A single-use, 2-minute ticket for GET /ws/user (non-cookie clients)", responses: { 201: ticketGrant } },
  "GET /ws/user": { tag: "realtime", summary: "Your private event socket (ticket or session cookie)", description: SOCKET, query: userSocketQuery, responses: { 101: null } },
  "GET /ws/lobby": { tag: "realtime", summary: "The public lobby socket: cases:updated, drops:new, online", description: SOCKET, query: lobbySocketQuery, responses: { 101: null } },

  "GET /api/fairness": { tag: "fairness", summary: "Your active seed pair (server seed hashed) and revealed seeds", responses: { 200: fairnessView } },
  "PUT /api/fairness/client-seed": { tag: "fairness", summary: "Set the client seed for the next rolls", body: clientSeedBody, responses: { 200: activeSeedResponse } },
  "POST /api/fairness/rotate": { tag: "fairness", summary: "Reveal the server seed and commit to a new one", responses: { 200: rotation } },

  "GET /api/admin/cases": { tag: "admin", summary: "Every case, active or not, with expected value and RTP", responses: { 200: adminCaseList } },
  "POST /api/admin/cases": { tag: "admin", summary: "Create a case", body: caseInput, responses: { 201: caseSaved } },
  "GET /api/admin/cases/:id": { tag: "admin", summary: "One case, active or not", params: caseRef, responses: { 200: adminCaseResponse } },
  "PUT /api/admin/cases/:id": { tag: "admin", summary: "Replace a case (a new revision; past openings keep theirs)", params: caseRef, body: caseInput, responses: { 200: caseSaved } },
  "PATCH /api/admin/cases/:id": { tag: "admin", summary: "Show or hide a case", params: caseRef, body: casePatch, responses: { 200: caseSaved } },
  "DELETE /api/admin/cases/:id": { tag: "admin", summary: "Delete a case (its revisions stay, for verification)", params: caseRef, responses: { 204: null } },
  "GET /api/admin/users": { tag: "admin", summary: "Accounts, newest first, filtered by email or name", query: usersQuery, responses: { 200: userPage } },
  "GET /api/admin/users/:id/ledger": { tag: "admin", summary: "One account's ledger", params: userRef, query: ledgerQuery, responses: { 200: ledgerPage } },
  "POST /api/admin/users/:id/balance": { tag: "admin", summary: "Credit or debit an account (a ledger entry with your note)", params: userRef, body: adjustBody, idempotent: true, responses: { 201: adjustResult } },
};
