import { z } from "zod";
import { loginBody, meResponse, registerBody, sessionGrant } from "../auth/schemas";
import { adminCaseList, adminCaseResponse, caseInput, caseList, casePatch, caseRef, caseResponse, caseSaved } from "../cases/schemas";
import { activeSeedResponse, clientSeedBody, fairnessView, rotation } from "../fairness/schemas";
import { openApiDocument } from "./schemas";
import { battlePage, battleRef, battleResponse, battlesQuery, createBattleBody, joinBattleBody } from "../battles/schemas";
import { healthReport } from "../health/schemas";
import { inventoryPage, inventoryQuery, settleBody, settleResult } from "../inventory/schemas";
import { adjustBody, adjustResult, ledgerPage, ledgerQuery } from "../ledger/schemas";
import { userPage, userRef, usersQuery } from "../users/schemas";
import { promoCodeInput, promoCodeList, promoCodeRef, promoCodeResponse, redeemBody, redeemResult } from "../promo/schemas";
import { freeCaseList, openBody, openingProof, openingRef, openResult } from "../openings/schemas";
import { battleSocketQuery, lobbySocketQuery, ticketGrant, userSocketQuery } from "../realtime/schemas";
import { targetPage, targetsQuery, upgradeBody, upgradePage, upgradeProof, upgradeRef, upgradeResult, upgradesQuery } from "../upgrader/schemas";

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

export const OPERATIONS = {
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
    description:
      "A free case opens one at a time (more: 422 free_case_single) and once per its cooldown per player: within it, 429 free_case_cooldown with `retryAfter` (seconds) and Retry-After.",
    params: caseRef,
    body: openBody,
    idempotent: true,
    responses: { 201: openResult },
  },
  "GET /api/free-cases": { tag: "openings", summary: "Every active free case and when you may open it next (null: now)", responses: { 200: freeCaseList } },
  "GET /api/openings/:id": { tag: "openings", summary: "Everything needed to verify one of your openings", params: openingRef, responses: { 200: openingProof } },

  "GET /api/inventory": { tag: "inventory", summary: "Your items, newest first", query: inventoryQuery, responses: { 200: inventoryPage } },
  "POST /api/inventory/claim": { tag: "inventory", summary: "Claim one money prize, or all of them, into the balance", body: settleBody, idempotent: true, responses: { 200: settleResult } },
  "POST /api/inventory/sell": { tag: "inventory", summary: "Sell one skin, or all of them, for its value", body: settleBody, idempotent: true, responses: { 200: settleResult } },
  "GET /api/ledger": { tag: "ledger", summary: "Your ledger, newest first, with the balance it explains", query: ledgerQuery, responses: { 200: ledgerPage } },

  "GET /api/upgrader/targets": {
    tag: "upgrader",
    summary: "Skins that can be won in the upgrader (every skin of every active case, once), cheapest first, with the house edge",
    query: targetsQuery,
    responses: { 200: targetPage },
  },
  "POST /api/upgrader": {
    tag: "upgrader",
    summary: "Stake 1–5 owned skins for a chance at a more valuable one: rolled provably fair, the staked skins are gone either way",
    description:
      "chance (basis points) = floor(Σ staked value × (10000 − houseEdge) / target value), allowed from 100 to 8000 (else 422 chance_out_of_range); " +
      "won when roll < chance × 100, roll in [0, 1,000,000). Name the target with targetItemId, or send multiplier (×1.01–×1000, two decimals) for the cheapest skin worth at least that many times the stake.",
    body: upgradeBody,
    idempotent: true,
    responses: { 201: upgradeResult },
  },
  "GET /api/upgrader": { tag: "upgrader", summary: "Your upgrades, newest first, won and lost", query: upgradesQuery, responses: { 200: upgradePage } },
  "GET /api/upgrader/:id": { tag: "upgrader", summary: "Everything needed to verify one of your upgrades", params: upgradeRef, responses: { 200: upgradeProof } },
  "POST /api/promo/redeem": {
    tag: "promo",
    summary: "Redeem a promo code: its amount into your balance, once per account",
    description:
      "Codes are case-insensitive. Refusals: 404 not_found (no such code), 409 promo_already_redeemed, 410 promo_code_disabled, promo_code_expired or promo_code_used_up; " +
      "429 rate_limited with `retryAfter` and Retry-After after 10 attempts a minute from one account or 30 from one address (every attempt counts).",
    body: redeemBody,
    idempotent: true,
    responses: { 201: redeemResult },
  },

  "POST /api/battles": {
    tag: "battles",
    summary: "Create a case battle: 1–25 rounds (one case each, repeats allowed), a format and a mode; you take seat 1 and pay the entry",
    description:
      "entry = Σ of the rounds' case prices at their current revisions (free cases cannot be battled: 422 free_case_in_battle). " +
      "The server seed is committed (its SHA-256 in `fairness.serverSeedHash`) now and revealed when the battle ends. " +
      "Refusals: 404 not_found (a case), 422 insufficient_balance. A waiting battle expires after BATTLE_EXPIRY_SECONDS with full refunds.",
    body: createBattleBody,
    idempotent: true,
    responses: { 201: battleResponse },
  },
  "GET /api/battles": { tag: "battles", summary: "Public battles in one status (default waiting), newest first", query: battlesQuery, responses: { 200: battlePage } },
  "GET /api/battles/:id": {
    tag: "battles",
    summary: "One battle (public or private, by id): seats, rounds revealed so far, totals, winner and fairness data",
    description: "Never shows a round before its reveal time, nor the winner before the last round's reels stop (`finishAt`).",
    params: battleRef,
    responses: { 200: battleResponse },
  },
  "POST /api/battles/:id/join": {
    tag: "battles",
    summary: "Take a free seat (the lowest when `seat` is absent) and pay the entry; the last seat starts the battle",
    description: "Refusals: 409 battle_not_waiting (started, finished, cancelled or expired), 409 seat_taken, 409 already_seated, 422 insufficient_balance.",
    params: battleRef,
    body: joinBattleBody,
    idempotent: true,
    responses: { 200: battleResponse },
  },
  "POST /api/battles/:id/bots": {
    tag: "battles",
    summary: "The creator fills every empty seat with a bot (the house pays their entries and keeps their winnings); the battle starts",
    description: "Refusals: 403 forbidden (not the creator), 409 battle_not_waiting, 422 house_insufficient_balance.",
    params: battleRef,
    responses: { 200: battleResponse },
  },
  "POST /api/battles/:id/cancel": {
    tag: "battles",
    summary: "The creator cancels a waiting battle: every seat is refunded",
    description: "Refusals: 403 forbidden (not the creator), 409 battle_not_waiting.",
    params: battleRef,
    responses: { 200: battleResponse },
  },
  "GET /ws/battle/:id": {
    tag: "realtime",
    summary: "A battle's room socket, for anyone with the id: battle:state, then battle:joined/started/round/finished/cancelled live",
    description: SOCKET,
    params: battleRef,
    query: battleSocketQuery,
    responses: { 101: null },
  },

  "POST /api/realtime/ticket": { tag: "realtime", summary: "A single-use, 2-minute ticket for GET /ws/user (non-cookie clients)", responses: { 201: ticketGrant } },
  "GET /ws/user": { tag: "realtime", summary: "Your private event socket (ticket, session cookie, or the resume credential of your last socket)", description: SOCKET, query: userSocketQuery, responses: { 101: null } },
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
  "GET /api/admin/promo-codes": { tag: "admin", summary: "Every promo code, newest first, with its uses and status", responses: { 200: promoCodeList } },
  "POST /api/admin/promo-codes": { tag: "admin", summary: "Create a promo code (409 promo_code_taken when the code exists)", body: promoCodeInput, responses: { 201: promoCodeResponse } },
  "POST /api/admin/promo-codes/:id/disable": { tag: "admin", summary: "Disable a promo code: it no longer redeems", params: promoCodeRef, responses: { 200: promoCodeResponse } },
  "POST /api/admin/users/:id/balance": { tag: "admin", summary: "Credit or debit an account (a ledger entry with your note)", params: userRef, body: adjustBody, idempotent: true, responses: { 201: adjustResult } },
} satisfies Record<string, Operation>;

/** The table by any "METHOD /path" string (the router's keys are strings). */
export const OPERATION_TABLE: Readonly<Record<string, Operation | undefined>> = OPERATIONS;

/** A documented route's key, e.g. "POST /api/cases/:id/open". */
export type OperationKey = keyof typeof OPERATIONS;
