import { createDb } from "../db/client";
import { readSessionToken, sessionIdOf } from "../features/auth/session-token";
import type { PublicUser } from "../features/users/model";
import { getSessionUser } from "../features/users/queries";
import { now } from "../lib/time";
import { forbidden, unauthorized } from "./errors";
import { isAllowedOrigin } from "./cors";

export interface Auth {
  user: PublicUser;
  sessionId: string;
  via: "cookie" | "bearer";
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface Credential {
  sessionId: string;
  via: "cookie" | "bearer";
}

/** The session the request claims (not yet checked against D1), or null. */
export async function readCredential(request: Request): Promise<Credential | null> {
  const credential = readSessionToken(request);
  return credential ? { sessionId: await sessionIdOf(credential.token), via: credential.via } : null;
}

/** The live session behind the request, or null. Never throws for a bad or missing token. */
export async function authenticate(request: Request, env: Env): Promise<Auth | null> {
  const credential = await readCredential(request);
  if (!credential) return null;
  const user = await getSessionUser(createDb(env.DB), credential.sessionId, now());
  return user ? { user, ...credential } : null;
}

/**
 * The checks every authenticated route makes, given the user its session resolved to (a route
 * may look the session up inside a batch of its own reads, to save a round trip).
 */
export function authorize(request: Request, env: Env, credential: Credential, user: PublicUser | null, role?: "admin"): Auth {
  if (!user) throw unauthorized();
  const auth = { user, ...credential };
  assertSameSiteWrite(request, env, auth);
  if (role === "admin" && user.role !== "admin") throw forbidden("Admins only.");
  return auth;
}

export async function requireUser(request: Request, env: Env): Promise<Auth> {
  const credential = await readCredential(request);
  if (!credential) throw unauthorized();
  return authorize(request, env, credential, await getSessionUser(createDb(env.DB), credential.sessionId, now()));
}

export async function requireAdmin(request: Request, env: Env): Promise<Auth> {
  const credential = await readCredential(request);
  if (!credential) throw unauthorized();
  return authorize(request, env, credential, await getSessionUser(createDb(env.DB), credential.sessionId, now()), "admin");
}

/**
 * SameSite=Lax already keeps the cookie off cross-site POSTs; this also refuses a
 * cookie-authenticated write whose Origin is neither this site nor a configured one.
 */
export function assertSameSiteWrite(request: Request, env: Env, auth: Pick<Auth, "via">): void {
  if (auth.via !== "cookie" || SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.get("origin");
  if (!origin || origin === new URL(request.url).origin || isAllowedOrigin(env, origin)) return;
  throw forbidden("Cross-site request refused.");
}
