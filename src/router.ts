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
import { handleHealth } from "./features/health/routes";
import { handleClaim, handleListInventory, handleSell } from "./features/inventory/routes";
import { handleAdminAdjustBalance, handleAdminListUsers, handleAdminUserLedger, handleListLedger } from "./features/ledger/routes";
import { handleGetOpening, handleOpenCase } from "./features/openings/routes";
import { handleCreateTicket, handleLobbySocket, handleUserSocket } from "./features/realtime/routes";
import { corsify, preflight } from "./http/cors";
import { errorResponse, notFound } from "./http/errors";
import { secureHeaders } from "./http/security-headers";

type Args = [Env, ExecutionContext];

/** The whole HTTP surface in one table. Handlers live with their feature under ./features. */
export const router = AutoRouter<IRequest, Args>({
  before: [preflight],
  catch: (err, request) => errorResponse(err, request),
  finally: [corsify, secureHeaders],
  missing: (request) => errorResponse(notFound(`Route ${request.method} ${new URL(request.url).pathname}`)),
})
  .get("/health", handleHealth)

  .post("/api/auth/register", handleRegister)
  .post("/api/auth/login", handleLogin)
  .post("/api/auth/logout", handleLogout)
  .get("/api/auth/me", handleMe)

  .get("/api/cases", handleListCases)
  .get("/api/cases/:id", handleGetCase)
  .post("/api/cases/:id/open", handleOpenCase)
  .get("/api/openings/:id", handleGetOpening)

  .get("/api/inventory", handleListInventory)
  .post("/api/inventory/claim", handleClaim)
  .post("/api/inventory/sell", handleSell)
  .get("/api/ledger", handleListLedger)

  .post("/api/realtime/ticket", handleCreateTicket)
  .get("/ws/user", handleUserSocket)
  .get("/ws/lobby", handleLobbySocket)

  .get("/api/fairness", handleGetFairness)
  .put("/api/fairness/client-seed", handleSetClientSeed)
  .post("/api/fairness/rotate", handleRotateSeed)

  .get("/api/admin/cases", handleAdminListCases)
  .post("/api/admin/cases", handleCreateCase)
  .get("/api/admin/cases/:id", handleAdminGetCase)
  .put("/api/admin/cases/:id", handleUpdateCase)
  .patch("/api/admin/cases/:id", handlePatchCase)
  .delete("/api/admin/cases/:id", handleDeleteCase)
  .get("/api/admin/users", handleAdminListUsers)
  .get("/api/admin/users/:id/ledger", handleAdminUserLedger)
  .post("/api/admin/users/:id/balance", handleAdminAdjustBalance);
