import type { IRequest } from "itty-router";
import { constraintFailed } from "../../db/client";
import { directoryDb, userDb } from "../../db/databases";
import { serverSeeds, sessions, users } from "../../db/schema";
import { conflict, tooManyRequests, unauthorized } from "../../http/errors";
import { clientAddress, enforceLimit } from "../../http/rate-limit";
import { parseJson } from "../../http/validate";
import { now } from "../../lib/time";
import { realtime } from "../../realtime/publish";
import { defaultClientSeed, newServerSeed } from "../fairness/seeds";
import { toPublicUser } from "../users/model";
import { userByEmailQuery } from "../users/queries";
import { eq } from "drizzle-orm";
import { forgiveAttempt, refusal, reserveAttempt, throttleKeys } from "./login-throttle";
import type { Auth } from "./policy";
import { hashPassword, verifyAgainstDecoy, verifyPassword } from "./passwords";
import { loginBody, registerBody, type SessionGrant } from "./schemas";
import { clearedSessionCookie, newSessionToken, sessionCookie } from "./session-token";

/** Issues a session: the token goes in the body for API clients and in an HttpOnly cookie for browsers. */
function grantResponse(request: Request, grant: SessionGrant, ttlSeconds: number, status: number): Response {
  return Response.json(grant, { status, headers: { "set-cookie": sessionCookie(request, grant.token, ttlSeconds) } });
}

export async function handleRegister(request: IRequest, env: Env): Promise<Response> {
  await enforceLimit(env.AUTH_IP_LIMITER, `register:${clientAddress(request)}`);
  const body = await parseJson(request, registerBody);
  const at = now();
  const ttl = Number(env.SESSION_TTL_SECONDS);
  const user = {
    id: crypto.randomUUID(),
    email: body.email,
    displayName: body.displayName,
    passwordHash: await hashPassword(body.password),
    role: "player" as const,
    balance: 0,
    version: 0,
    createdAt: at,
  };
  const { token, sessionId } = await newSessionToken();
  // The new account's own database. (Spread over several, the e-mail's uniqueness moves to the
  // directory database first: BENCHMARKS.md, "Past one D1 database".)
  const db = userDb(env, { userId: user.id });
  try {
    // Account, its first committed server seed and its first session: all or nothing.
    await db.batch([
      db.insert(users).values(user),
      db.insert(serverSeeds).values(await newServerSeed(user.id, defaultClientSeed(), at)),
      db.insert(sessions).values({ id: sessionId, userId: user.id, createdAt: at, expiresAt: at + ttl * 1000 }),
    ]);
  } catch (err) {
    if (constraintFailed(err, "users.email")) throw conflict("email_taken", "An account with this email already exists.");
    throw err;
  }
  return grantResponse(request, { user: toPublicUser(user), token, expiresAt: at + ttl * 1000 }, ttl, 201);
}

export async function handleLogin(request: IRequest, env: Env): Promise<Response> {
  const address = clientAddress(request);
  // A coarse flood brake on every request; guessing is throttled by failures below.
  await enforceLimit(env.AUTH_IP_LIMITER, `login:${address}`);
  const body = await parseJson(request, loginBody);
  // Throttles and the e-mail lookup are global; the session row joins the user's database once
  // users are spread (then the second batch goes to userDb(env, { userId: row.id })).
  const db = directoryDb(env);
  const at = now();
  const keys = await throttleKeys(body.email, address);
  // Unknown emails are counted and refused like known ones: the answers never tell them apart.
  const [[pair], [addressCount], [account], rows] = await db.batch([...reserveAttempt(db, keys, at), userByEmailQuery(db, body.email)]);
  if (!pair || !addressCount || !account) throw new Error("login throttle: an upsert returned no row");
  // Refused before the password is checked, so a throttled address learns nothing, even from the right one.
  const wait = refusal({ pair, address: addressCount, account }, at);
  if (wait !== null) throw tooManyRequests(wait);
  const row = rows[0];
  const ok = row ? await verifyPassword(body.password, row.passwordHash) : await verifyAgainstDecoy(body.password);
  if (!row || !ok) throw unauthorized("Email or password is wrong.");
  const ttl = Number(env.SESSION_TTL_SECONDS);
  const { token, sessionId } = await newSessionToken();
  await db.batch([db.insert(sessions).values({ id: sessionId, userId: row.id, createdAt: at, expiresAt: at + ttl * 1000 }), ...forgiveAttempt(db, keys)]);
  return grantResponse(request, { user: toPublicUser(row), token, expiresAt: at + ttl * 1000 }, ttl, 200);
}

export async function handleLogout(request: IRequest, env: Env, ctx: ExecutionContext, auth: Auth): Promise<Response> {
  await userDb(env, { sessionId: auth.sessionId }).update(sessions).set({ revokedAt: now() }).where(eq(sessions.id, auth.sessionId));
  // Sockets opened with this session close too; the session is already dead in D1 either way.
  await realtime(env, ctx).endSession(auth.user.id, auth.sessionId);
  return new Response(null, { status: 204, headers: { "set-cookie": clearedSessionCookie(request) } });
}

export function handleMe(_request: IRequest, _env: Env, _ctx: ExecutionContext, auth: Auth): Response {
  return Response.json({ user: auth.user });
}
