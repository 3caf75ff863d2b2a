import { randomToken, sha256Hex } from "../../lib/crypto";

export const SESSION_COOKIE = "ch_session";

/** The bearer token the client holds, from the cookie or `Authorization: Bearer`. */
export function readSessionToken(request: Request): { token: string; via: "cookie" | "bearer" } | null {
  const header = request.headers.get("authorization");
  if (header) {
    const match = /^Bearer\s+([A-Za-z0-9_-]{20,100})$/.exec(header.trim());
    return match?.[1] ? { token: match[1], via: "bearer" } : null;
  }
  const cookie = readCookie(request, SESSION_COOKIE);
  return cookie && /^[A-Za-z0-9_-]{20,100}$/.test(cookie) ? { token: cookie, via: "cookie" } : null;
}

export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Only the hash of a token is stored: the sessions table alone cannot be replayed. */
export const sessionIdOf = (token: string): Promise<string> => sha256Hex(token);

export async function newSessionToken(): Promise<{ token: string; sessionId: string }> {
  const token = randomToken(32);
  return { token, sessionId: await sessionIdOf(token) };
}

export function sessionCookie(request: Request, token: string, maxAgeSeconds: number): string {
  const secure = new URL(request.url).protocol === "https:" ? "; Secure" : "";
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

export function clearedSessionCookie(request: Request): string {
  return sessionCookie(request, "", 0);
}
