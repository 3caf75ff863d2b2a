import { unauthorized, type ApiError } from "../http/errors";
import { log } from "../lib/log";
import { fromBase64Url, randomToken, toBase64Url } from "../lib/crypto";
import { isValidCounter } from "./protocol";
import { broadcaster } from "./stubs";

/**
 * Resume credentials: what lets a private socket come back after a drop (a deploy, a restart, a
 * network change) without a D1 write. The user's hub hands one to each of its sockets in the welcome
 * and again with every audit (./audit.ts), bound to the socket's user and session and signed with
 * HMAC-SHA-256; the client presents it on its next connect instead of a ticket. The Worker checks
 * the signature before it wakes a hub (a forged one cannot make the Worker create objects for names
 * it chose) and hands the hub what the credential says, as it hands over a ticket's user and
 * session; the hub spends it, single use like a ticket (./resume-spends.ts). One check per
 * reconnect, not two: in a restart's storm every reconnect is one, on the runtime's busiest thread.
 *
 * A credential is only minted for a session the hub has seen live: at a ticket or cookie connect
 * (read from D1 by the Worker), or at an audit (read from D1 by the hub, which closes the sockets of
 * sessions that ended). A logout tells the hub, which then refuses that session's credentials.
 */

/**
 * Long enough to cover a restart and its storm with a credential handed out by the last audit
 * (every AUDIT_MS), short enough that a leaked one is soon worthless; single use either way.
 */
export const RESUME_TTL_MS = 120_000;

/** `<payload>.<signature>`, both base64url: the query schema and the parser agree on this shape. */
export const RESUME_PATTERN = /^[A-Za-z0-9_-]{20,600}\.[A-Za-z0-9_-]{43}$/;

/** The shortest RESUME_SECRET accepted: 32 characters of `openssl rand -base64 32` carry 192 bits. */
const MIN_SECRET_LENGTH = 32;

export interface ResumeClaim {
  userId: string;
  sessionId: string;
  expiresAt: number;
  /** Unique per credential: the hub remembers the spent ones until they expire. */
  nonce: string;
  /** The hub's resume epoch when it minted the credential: how the hub tells which spends it must store (./resume-spends.ts). */
  epoch: number;
}

export interface ResumeGrant {
  credential: string;
  expiresAt: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

let cachedKey: { secret: string | undefined; key: Promise<CryptoKey> } | null = null;

/**
 * The HMAC key: RESUME_SECRET when it is set, else a random one generated once by the broadcaster
 * and kept in its storage (so local dev needs no setup and no secret is ever in the repository).
 * Cached per isolate: a storm costs one RPC per isolate at most, not one per socket.
 */
function resumeKey(env: Env): Promise<CryptoKey> {
  const secret = env.RESUME_SECRET;
  if (cachedKey && cachedKey.secret === secret) return cachedKey.key;
  const key = (async () => {
    if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) throw new Error(`RESUME_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    const raw = secret ?? (await broadcaster(env).resumeSecret());
    return crypto.subtle.importKey("raw", encoder.encode(raw), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  })();
  cachedKey = { secret, key };
  // A failed RPC must not poison the isolate: the next call tries again.
  key.catch(() => {
    if (cachedKey?.key === key) cachedKey = null;
  });
  return key;
}

/** The key, or null (logged) when there is none: a misconfigured secret or an unreachable broadcaster. */
async function keyOrNull(env: Env): Promise<CryptoKey | null> {
  try {
    return await resumeKey(env);
  } catch (err) {
    log("error", "resume_key_unavailable", { error: String(err) });
    return null;
  }
}

/**
 * A fresh credential for `userId`'s session `sessionId`, minted by its hub at its resume `epoch`;
 * null when no key is available (then clients use tickets).
 */
export async function mintResume(env: Env, grant: { userId: string; sessionId: string; epoch: number }, at: number): Promise<ResumeGrant | null> {
  const key = await keyOrNull(env);
  if (!key) return null;
  const claim: ResumeClaim = { userId: grant.userId, sessionId: grant.sessionId, expiresAt: at + RESUME_TTL_MS, nonce: randomToken(12), epoch: grant.epoch };
  const payload = toBase64Url(encoder.encode(JSON.stringify([claim.userId, claim.sessionId, claim.expiresAt, claim.nonce, claim.epoch])));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(payload)));
  return { credential: `${payload}.${toBase64Url(signature)}`, expiresAt: claim.expiresAt };
}

/** The answer to a credential that is forged, malformed or expired, wherever it is found so: the client fetches a ticket. */
export const invalidResume = (): ApiError => unauthorized("The resume credential is invalid or expired. Fetch a ticket.");

/** The claim of a well-signed, unexpired credential; null for anything else. Spending it is the hub's job. */
export async function verifyResume(env: Env, credential: string, at: number): Promise<ResumeClaim | null> {
  if (!RESUME_PATTERN.test(credential)) return null;
  const [payload = "", signature = ""] = credential.split(".");
  const key = await keyOrNull(env);
  if (!key) return null;
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", key, fromBase64Url(signature), encoder.encode(payload)))) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(decoder.decode(fromBase64Url(payload)));
  } catch {
    return null;
  }
  // Credentials of four fields, from before epochs, fail here: their clients fetch a ticket once.
  if (!Array.isArray(fields) || fields.length !== 5) return null;
  const [userId, sessionId, expiresAt, nonce, epoch] = fields as unknown[];
  if (typeof userId !== "string" || typeof sessionId !== "string" || typeof nonce !== "string" || typeof expiresAt !== "number" || !isValidCounter(epoch)) return null;
  if (!(expiresAt > at)) return null;
  return { userId, sessionId, expiresAt, nonce, epoch };
}
