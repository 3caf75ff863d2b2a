import { exports } from "cloudflare:workers";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { errorShape, type ErrorBody } from "../src/http/errors";
import { assertDocumentedResponse } from "./contract";
import type { BodyOf } from "./routes";

export const ORIGIN = "http://cyberhub.test";

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/**
 * A response as a test sees it. `body` is typed as the route's documented success body (see
 * ./routes.ts); on a refusal the body is the one error shape instead, read it through `error`.
 */
export interface CallResult<T> {
  status: number;
  body: T;
  /** The refusal (`{ code, message, issues?, retryAfter? }`) when status ≥ 400 and the body has the error shape. */
  error: ErrorBody["error"] | undefined;
  headers: Headers;
}

let ipCounter = 0;
/** Each simulated client gets its own address so the per-IP login throttle does not couple tests. */
export const freshIp = () => `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter++ & 255}`;

/**
 * Builds the request, sends it with `send`, and holds the answer to the API document. Shared by
 * `call` (the Worker's entry point) and test/faults.ts (the Worker with swapped bindings).
 */
export async function documentedCall(send: (request: Request<unknown, IncomingRequestCfProperties>) => Promise<Response>, method: string, path: string, options: CallOptions): Promise<CallResult<unknown>> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers.set("content-type", "application/json");
  }
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", freshIp());
  const url = new URL(`${ORIGIN}${path}`);
  const response = await send(new Request(url, { method, headers, body }));
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  assertDocumentedResponse(method, url, response.status, parsed);
  const refusal = response.status >= 400 ? errorShape.safeParse(parsed) : undefined;
  return { status: response.status, body: parsed, error: refusal?.success ? refusal.data.error : undefined, headers: response.headers };
}

/**
 * One request through the real Worker entry point. The body's type comes from the route's entry
 * in OPERATIONS (`call("GET", "/api/cases")` is a case list); an undocumented path gives `unknown`.
 */
export async function call<M extends string, P extends string>(method: M, path: P, options: CallOptions = {}): Promise<CallResult<BodyOf<M, P>>> {
  // The contract check in documentedCall has just held the body to the schema BodyOf is read from.
  return (await callRaw(method, path, options)) as CallResult<BodyOf<M, P>>;
}

/** The escape: any path, the body as it came (`unknown`), to be narrowed by the test itself. */
export function callRaw(method: string, path: string, options: CallOptions = {}): Promise<CallResult<unknown>> {
  return documentedCall((request) => exports.default.fetch(request), method, path, options);
}

let userCounter = 0;
export const uniqueEmail = (label = "player") => `${label}-${Date.now().toString(36)}-${userCounter++}@example.test`;

export interface TestUser {
  id: string;
  email: string;
  token: string;
  displayName: string;
}

export async function registerUser(label = "player"): Promise<TestUser> {
  const email = uniqueEmail(label);
  const displayName = `${label} ${userCounter}`;
  const res = await call("POST", "/api/auth/register", { body: { email, password: "correct horse battery", displayName } });
  expect(res.status).toBe(201);
  return { id: res.body.user.id, email, token: res.body.token, displayName };
}

export async function registerAdmin(): Promise<TestUser> {
  const user = await registerUser("admin");
  await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?").bind(user.id).run();
  return user;
}

export async function credit(admin: TestUser, userId: string, amount: number): Promise<void> {
  const res = await call("POST", `/api/admin/users/${userId}/balance`, { token: admin.token, body: { amount, reason: "test funding" } });
  expect(res.status).toBe(201);
}

let slugCounter = 0;
export function caseInput(overrides: Record<string, unknown> = {}) {
  return {
    name: "Test Case",
    slug: `test-case-${Date.now().toString(36)}-${slugCounter++}`,
    imageUrl: null,
    price: 250,
    active: true,
    items: [
      { name: "AK-47 | Redline", rarity: "classified", value: 1500, kind: "skin", weight: 1 },
      { name: "P250 | Sand Dune", rarity: "consumer", value: 5, kind: "skin", weight: 60 },
      { name: "1.00 € cash", rarity: "milspec", value: 100, kind: "money", weight: 39 },
    ],
    ...overrides,
  };
}

/** A free case (price 0) with the given cooldown: small cash and a cheap skin. */
export function freeCaseInput(overrides: Record<string, unknown> = {}) {
  return caseInput({
    name: "Daily Free",
    price: 0,
    free: true,
    freeCooldownSeconds: 86_400,
    items: [
      { name: "0.25 € cash", rarity: "consumer", value: 25, kind: "money", weight: 3 },
      { name: "P250 | Sand Dune", rarity: "consumer", value: 5, kind: "skin", weight: 1 },
    ],
    ...overrides,
  });
}

export async function createCase(admin: TestUser, overrides: Record<string, unknown> = {}) {
  const res = await call("POST", "/api/admin/cases", { token: admin.token, body: caseInput(overrides) });
  expect(res.status).toBe(201);
  return res.body.case as { id: string; slug: string; price: number; version: number; free: boolean; items: { id: string; weight: number; kind: string; value: number }[] };
}

/** The money invariant: balance never negative and always the sum of the user's ledger. */
export async function expectLedgerExplainsBalance(userId: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT u.balance AS balance, COALESCE((SELECT SUM(delta) FROM ledger WHERE user_id = u.id), 0) AS total FROM users u WHERE u.id = ?",
  )
    .bind(userId)
    .first<{ balance: number; total: number }>();
  expect(row).not.toBeNull();
  expect(row!.balance).toBeGreaterThanOrEqual(0);
  expect(row!.balance).toBe(row!.total);
  return row!.balance;
}
