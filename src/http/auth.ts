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

/** The live session behind the request, or null. Never throws for a bad or missing token. */
export async function authenticate(request: Request, env: Env): Promise<Auth | null> {
  const credential = readSessionToken(request);
  if (!credential) return null;
  const sessionId = await sessionIdOf(credential.token);
  const user = await getSessionUser(createDb(env.DB), sessionId, now());
  return user ? { user, sessionId, via: credential.via } : null;
}

export async function requireUser(request: Request, env: Env): Promise<Auth> {
  const auth = await authenticate(request, env);
  if (!auth) throw unauthorized();
  assertSameSiteWrite(request, env, auth);
  return auth;
}

export async function requireAdmin(request: Request, env: Env): Promise<Auth> {
  const auth = await requireUser(request, env);
  if (auth.user.role !== "admin") throw forbidden("Admins only.");
  return auth;
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
