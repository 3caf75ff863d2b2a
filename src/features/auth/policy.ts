import type { IRequest } from "itty-router";
import { userDb } from "../../db/databases";
import { isAllowedOrigin } from "../../http/cors";
import { forbidden, unauthorized } from "../../http/errors";
import { now } from "../../lib/time";
import type { PublicUser } from "../users/model";
import { getSessionUser } from "../users/queries";
import { readSessionToken, sessionIdOf } from "./session-token";

/**
 * Who may call a route, declared once beside its path in the router table (src/router.ts). The
 * wrapper checks it before the handler runs, so a new route cannot forget authentication or the
 * same-site check: a handler of a player or admin route only ever receives a checked identity.
 */
export type Access = "public" | "player" | "admin";

/** The session the request presents (not yet checked against D1). */
export interface Credential {
  sessionId: string;
  via: "cookie" | "bearer";
}

export interface Auth extends Credential {
  user: PublicUser;
}

/**
 * A presented credential that already passed the same-site check, for a hot route that looks
 * the session up inside its own first D1 batch (one round trip saved). The handler must turn
 * the user that batch found into an {@link Auth} with `grant`, which applies the route's role.
 */
export interface SessionClaim extends Credential {
  grant(user: PublicUser | null): Auth;
}

/** Every handler answers with a Response: the status and headers are its own to choose, in one way. */
type Handler<A> = (request: IRequest, env: Env, ctx: ExecutionContext, auth: A) => Response | Promise<Response>;

/** A route handler as the router holds it, labelled with its policy so tests and the API document can read it. */
export type GuardedHandler = ((request: IRequest, env: Env, ctx: ExecutionContext) => Promise<Response>) & { readonly access: Access };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The session the request claims (not yet checked against D1), or null. */
export async function readCredential(request: Request): Promise<Credential | null> {
  const credential = readSessionToken(request);
  return credential ? { sessionId: await sessionIdOf(credential.token), via: credential.via } : null;
}

/** The live session behind the request, or null. Never throws for a bad or missing token. */
export async function authenticate(request: Request, env: Env): Promise<Auth | null> {
  const credential = await readCredential(request);
  if (!credential) return null;
  const user = await getSessionUser(userDb(env, { sessionId: credential.sessionId }), credential.sessionId, now());
  return user ? { user, ...credential } : null;
}

/**
 * Refuses a write whose Origin is neither this site nor a configured one, when the browser's
 * cookie would carry it: a cookie-authenticated write (SameSite=Lax already keeps the cookie off
 * cross-site POSTs; this does not rely on it), or a public write, which is register or log-in and
 * sets the cookie (a foreign page must not sign a visitor into the attacker's account). A bearer
 * client presents its token deliberately and is not a browser being ridden.
 */
function assertSameSiteWrite(request: Request, env: Env, via: Credential["via"] | "none"): void {
  if (via === "bearer" || SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.get("origin");
  if (!origin || origin === new URL(request.url).origin || isAllowedOrigin(env, origin)) return;
  throw forbidden("Cross-site request refused.");
}

/** Presence of a credential and the same-site rule: both decided without touching D1. */
async function claim(request: Request, env: Env, role: "player" | "admin"): Promise<SessionClaim> {
  const credential = await readCredential(request);
  if (!credential) throw unauthorized();
  assertSameSiteWrite(request, env, credential.via);
  return {
    ...credential,
    grant(user) {
      if (!user) throw unauthorized();
      if (role === "admin" && user.role !== "admin") throw forbidden("Admins only.");
      return { user, ...credential };
    },
  };
}

function guarded(access: Access, run: (request: IRequest, env: Env, ctx: ExecutionContext) => Promise<Response>): GuardedHandler {
  return Object.assign(run, { access });
}

function signedIn(role: "player" | "admin", handler: Handler<Auth>): GuardedHandler {
  return guarded(role, async (request, env, ctx) => {
    const session = await claim(request, env, role);
    const user = await getSessionUser(userDb(env, { sessionId: session.sessionId }), session.sessionId, now());
    return handler(request, env, ctx, session.grant(user));
  });
}

function signedInInBatch(role: "player" | "admin", handler: Handler<SessionClaim>): GuardedHandler {
  return guarded(role, async (request, env, ctx) => handler(request, env, ctx, await claim(request, env, role)));
}

export const access = {
  /** Anyone. A public route that authenticates by other means (a socket ticket) says so where it does. */
  public: (handler: Handler<undefined>) =>
    guarded("public", async (request, env, ctx) => {
      assertSameSiteWrite(request, env, "none");
      return handler(request, env, ctx, undefined);
    }),
  player: (handler: Handler<Auth>) => signedIn("player", handler),
  admin: (handler: Handler<Auth>) => signedIn("admin", handler),
  playerInBatch: (handler: Handler<SessionClaim>) => signedInInBatch("player", handler),
  adminInBatch: (handler: Handler<SessionClaim>) => signedInInBatch("admin", handler),
};
