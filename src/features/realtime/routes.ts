import type { IRequest } from "itty-router";
import { userDb } from "../../db/databases";
import { isAllowedOrigin } from "../../http/cors";
import { forbidden, unauthorized } from "../../http/errors";
import { parseQuery } from "../../http/validate";
import { log } from "../../lib/log";
import { now } from "../../lib/time";
import { placeLobbySocket } from "../../realtime/lobby-directory";
import { lobbyShard, userHub } from "../../realtime/stubs";
import { isUpgrade, upgradeRequired } from "../../realtime/sockets";
import { HUB_RESUME_EPOCH_HEADER, HUB_RESUME_EXPIRES_HEADER, HUB_RESUME_NONCE_HEADER, HUB_SESSION_HEADER, HUB_USER_HEADER, HUB_VERSION_HEADER } from "../../realtime/hub-headers";
import { invalidResume, verifyResume } from "../../realtime/resume";
import { authenticate, type SessionClaim } from "../auth/policy";
import { issueTicket, spendTicket, type TicketGrant } from "./tickets";
import { lobbySocketQuery, userSocketQuery } from "./schemas";

/**
 * `POST /api/realtime/ticket`: a single-use, 2-minute pass for `GET /ws/user?ticket=…`. The
 * session is checked inside the batch that issues the ticket (one round trip per reconnect).
 */
export async function handleCreateTicket(_request: IRequest, env: Env, _ctx: ExecutionContext, session: SessionClaim): Promise<Response> {
  const issued = await issueTicket(userDb(env, { sessionId: session.sessionId }), session.sessionId, now());
  session.grant(issued.user);
  return Response.json({ ticket: issued.ticket, expiresAt: issued.expiresAt }, { status: 201, headers: { "cache-control": "no-store" } });
}

/**
 * `GET /ws/user`: the private socket. The identity comes from the session cookie (same-origin
 * browsers), a ticket, or a resume credential its hub gave the client on its last socket, never
 * from anything the client sends later; the hub binds the socket to it.
 */
export async function handleUserSocket(request: IRequest, env: Env): Promise<Response> {
  if (!isUpgrade(request)) throw upgradeRequired();
  const query = parseQuery(request, userSocketQuery);
  const target = new URL("https://user-hub/connect");
  if (query.since !== undefined && query.epoch !== undefined) {
    target.searchParams.set("since", String(query.since));
    target.searchParams.set("epoch", query.epoch);
  }
  if (query.resume) return resumeSocket(env, query.resume, target);
  const grant = query.ticket ? await grantFromTicket(env, query.ticket) : await grantFromCookie(request, env);
  // A request built from scratch: no client header can reach the hub, least of all an identity.
  const headers = new Headers({
    upgrade: "websocket",
    [HUB_USER_HEADER]: grant.userId,
    [HUB_SESSION_HEADER]: grant.sessionId,
    [HUB_VERSION_HEADER]: String(grant.accountVersion),
  });
  return userHub(env, grant.userId).fetch(new Request(target, { headers }));
}

/** `GET /ws/lobby`: the public socket, for anyone. The Worker places it on a shard with room (the broadcaster's directory). */
export async function handleLobbySocket(request: IRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  if (!isUpgrade(request)) throw upgradeRequired();
  const query = parseQuery(request, lobbySocketQuery);
  const shard = await placeLobbySocket(env, ctx);
  const target = new URL("https://lobby-shard/connect");
  if (query.catalog !== undefined) target.searchParams.set("catalog", String(query.catalog));
  return lobbyShard(env, shard).fetch(new Request(target, { headers: { upgrade: "websocket" } }));
}

/**
 * A reconnect with a resume credential: no D1 round trip. The signature is checked here, once, so
 * only a credential this deployment signed wakes a hub (and only the hub it names). The hub gets
 * what it says, as it gets a ticket's user and session: in headers of a request built here, which
 * only this Worker can send. It spends the nonce (single use) and refuses a session that logged out.
 */
async function resumeSocket(env: Env, credential: string, target: URL): Promise<Response> {
  const claim = await verifyResume(env, credential, now());
  if (!claim) {
    log("info", "ws_refused", { channel: "user", reason: "bad_resume" });
    throw invalidResume();
  }
  const headers = new Headers({
    upgrade: "websocket",
    [HUB_USER_HEADER]: claim.userId,
    [HUB_SESSION_HEADER]: claim.sessionId,
    [HUB_RESUME_NONCE_HEADER]: claim.nonce,
    [HUB_RESUME_EXPIRES_HEADER]: String(claim.expiresAt),
    [HUB_RESUME_EPOCH_HEADER]: String(claim.epoch),
  });
  return userHub(env, claim.userId).fetch(new Request(target, { headers }));
}

/** Who the socket is for, and the account version read on the way (it costs no extra read). */
type SocketGrant = TicketGrant & { accountVersion: number };

async function grantFromTicket(env: Env, ticket: string): Promise<SocketGrant> {
  const spent = await spendTicket(userDb(env, { ticket }), ticket, now());
  // The session behind the ticket must still be live: logging out also voids unspent tickets.
  if (!spent?.user) {
    log("info", "ws_refused", { channel: "user", reason: spent ? "session_ended" : "bad_ticket" });
    throw unauthorized("The ticket is unknown, used or expired. Fetch a new one.");
  }
  return { ...spent.grant, accountVersion: spent.user.version };
}

async function grantFromCookie(request: Request, env: Env): Promise<SocketGrant> {
  const auth = await authenticate(request, env);
  if (!auth || auth.via !== "cookie") {
    log("info", "ws_refused", { channel: "user", reason: auth ? "bearer_not_accepted" : "no_session" });
    throw unauthorized(auth ? "Use a ticket from POST /api/realtime/ticket." : undefined);
  }
  // Browsers send cookies with cross-site WebSocket handshakes; the Origin check stops socket hijacking.
  const origin = request.headers.get("origin");
  if (origin && origin !== new URL(request.url).origin && !isAllowedOrigin(env, origin)) {
    log("warn", "ws_refused", { channel: "user", reason: "cross_origin", origin });
    throw forbidden("Cross-site WebSocket refused.");
  }
  return { userId: auth.user.id, sessionId: auth.sessionId, accountVersion: auth.user.version };
}
