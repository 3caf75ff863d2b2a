import { AutoRouter, type IRequest } from "itty-router";
import { handleLogin, handleLogout, handleMe, handleRegister } from "./features/auth/routes";
import {
  handleAdminGetCase,
  handleAdminListCases,
  handleCreateCase,
  handleDeleteCase,
  handleGetCase,
  handleListCases,
  handlePatchCase,
  handleUpdateCase,
} from "./features/cases/routes";
import { handleGetFairness, handleRotateSeed, handleSetClientSeed } from "./features/fairness/routes";
import { handleOpenApi } from "./features/docs/routes";
import { handleHealth } from "./features/health/routes";
import { handleClaim, handleListInventory, handleSell } from "./features/inventory/routes";
import { handleAdminAdjustBalance, handleAdminUserLedger, handleListLedger } from "./features/ledger/routes";
import { handleGetOpening, handleListFreeCases, handleOpenCase } from "./features/openings/routes";
import { handleAdminListUsers } from "./features/users/routes";
import { handleCreatePromoCode, handleDisablePromoCode, handleListPromoCodes, handleRedeemPromo } from "./features/promo/routes";
import { handleCreateTicket, handleLobbySocket, handleUserSocket } from "./features/realtime/routes";
import { handleAddBots, handleBattleSocket, handleCancelBattle, handleCreateBattle, handleGetBattle, handleJoinBattle, handleListBattles } from "./features/battles/routes";
import { handleGetUpgrade, handleListTargets, handleListUpgrades, handleUpgrade } from "./features/upgrader/routes";
import { access } from "./features/auth/policy";
import { corsify, preflight } from "./http/cors";
import { errorResponse, notFound } from "./http/errors";
import { secureHeaders } from "./http/security-headers";

type Args = [Env, ExecutionContext];

/**
 * The whole HTTP surface in one table: method, path, who may call it (see ./features/auth/policy.ts:
 * the wrapper authenticates and applies the same-site rule to writes before the handler runs) and
 * the handler, which lives with its feature under ./features.
 */
export const router = AutoRouter<IRequest, Args>({
  before: [preflight],
  catch: (err, request) => errorResponse(err, request),
  finally: [corsify, secureHeaders],
  missing: (request) => errorResponse(notFound(`Route ${request.method} ${new URL(request.url).pathname}`)),
})
  .get("/health", access.public(handleHealth))
  .get("/api/openapi.json", access.public(handleOpenApi))

  .post("/api/auth/register", access.public(handleRegister))
  .post("/api/auth/login", access.public(handleLogin))
  .post("/api/auth/logout", access.player(handleLogout))
  .get("/api/auth/me", access.player(handleMe))

  .get("/api/cases", access.public(handleListCases))
  .get("/api/cases/:id", access.public(handleGetCase))
  .post("/api/cases/:id/open", access.playerInBatch(handleOpenCase))
  .get("/api/free-cases", access.player(handleListFreeCases))
  .get("/api/openings/:id", access.player(handleGetOpening))

  .get("/api/inventory", access.player(handleListInventory))
  .post("/api/inventory/claim", access.player(handleClaim))
  .post("/api/inventory/sell", access.player(handleSell))
  .get("/api/ledger", access.player(handleListLedger))
  .post("/api/promo/redeem", access.player(handleRedeemPromo))

  // "/targets" before "/:id", which would otherwise take it.
  .get("/api/upgrader/targets", access.public(handleListTargets))
  .post("/api/upgrader", access.player(handleUpgrade))
  .get("/api/upgrader", access.player(handleListUpgrades))
  .get("/api/upgrader/:id", access.player(handleGetUpgrade))

  .post("/api/battles", access.player(handleCreateBattle))
  .get("/api/battles", access.public(handleListBattles))
  .get("/api/battles/:id", access.public(handleGetBattle))
  .post("/api/battles/:id/join", access.player(handleJoinBattle))
  .post("/api/battles/:id/bots", access.player(handleAddBots))
  .post("/api/battles/:id/cancel", access.player(handleCancelBattle))

  .post("/api/realtime/ticket", access.playerInBatch(handleCreateTicket))
  // Authenticated inside, by a single-use ticket or the session cookie with an Origin check.
  .get("/ws/user", access.public(handleUserSocket))
  .get("/ws/lobby", access.public(handleLobbySocket))
  .get("/ws/battle/:id", access.public(handleBattleSocket))

  .get("/api/fairness", access.player(handleGetFairness))
  .put("/api/fairness/client-seed", access.player(handleSetClientSeed))
  .post("/api/fairness/rotate", access.player(handleRotateSeed))

  .get("/api/admin/cases", access.admin(handleAdminListCases))
  .post("/api/admin/cases", access.admin(handleCreateCase))
  .get("/api/admin/cases/:id", access.admin(handleAdminGetCase))
  .put("/api/admin/cases/:id", access.adminInBatch(handleUpdateCase))
  .patch("/api/admin/cases/:id", access.adminInBatch(handlePatchCase))
  .delete("/api/admin/cases/:id", access.adminInBatch(handleDeleteCase))
  .get("/api/admin/users", access.admin(handleAdminListUsers))
  .get("/api/admin/users/:id/ledger", access.admin(handleAdminUserLedger))
  .post("/api/admin/users/:id/balance", access.admin(handleAdminAdjustBalance))
  .get("/api/admin/promo-codes", access.admin(handleListPromoCodes))
  .post("/api/admin/promo-codes", access.admin(handleCreatePromoCode))
  .post("/api/admin/promo-codes/:id/disable", access.admin(handleDisablePromoCode));
