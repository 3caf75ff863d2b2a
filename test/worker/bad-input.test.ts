import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { handleHealth } from "../../src/features/health/routes";
import { call, createCase, credit, registerAdmin, registerUser, type TestUser } from "../helpers";

let admin: TestUser;
let player: TestUser;
let caseId: string;

beforeAll(async () => {
  admin = await registerAdmin();
  player = await registerUser();
  await credit(admin, player.id, 10_000);
  caseId = (await createCase(admin)).id;
});

const BODIES = ["null", "[]", '"text"', "42", "true", "{}", '{"count":{"$gt":1}}', '{"__proto__":{"admin":true}}', JSON.stringify({ items: Array(200).fill({}) }), "{".repeat(5000)];

async function snapshot() {
  const row = await env.DB.prepare(
    "SELECT (SELECT COUNT(*) FROM ledger) AS ledger, (SELECT COUNT(*) FROM openings) AS openings, (SELECT COUNT(*) FROM cases) AS cases, (SELECT SUM(balance) FROM users) AS balances",
  ).first();
  return row;
}

describe("bad input", () => {
  it("gets a 4xx JSON error on every mutating route and changes nothing", async () => {
    const routes: [string, string, TestUser][] = [
      ["POST", "/api/auth/register", player],
      ["POST", "/api/auth/login", player],
      ["POST", `/api/cases/${caseId}/open`, player],
      ["POST", "/api/inventory/claim", player],
      ["POST", "/api/inventory/sell", player],
      ["PUT", "/api/fairness/client-seed", player],
      ["POST", "/api/battles", player],
      ["POST", "/api/admin/cases", admin],
      ["PUT", `/api/admin/cases/${caseId}`, admin],
      ["PATCH", `/api/admin/cases/${caseId}`, admin],
      ["POST", `/api/admin/users/${player.id}/balance`, admin],
    ];
    const before = await snapshot();
    for (const [method, path, user] of routes) {
      // `{}` is a valid open (one copy, the default); everywhere else it lacks required fields.
      for (const rawBody of BODIES.filter((b) => !(b === "{}" && path.endsWith("/open")))) {
        const res = await call(method, path, { token: user.token, rawBody, headers: { "content-type": "application/json" } });
        expect(res.status, `${method} ${path} with ${rawBody.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${method} ${path} with ${rawBody.slice(0, 40)}`).toBeLessThan(500);
        expect(res.body.error.code).toEqual(expect.any(String));
        expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("GET /health when D1 is down", () => {
  it("answers 503 with db: down", async () => {
    const broken = {
      prepare() {
        throw new Error("D1_ERROR: network connection lost");
      },
    } as unknown as D1Database;
    const res = await handleHealth(Object.assign(new Request("http://x/health"), { params: {}, query: {}, proxy: undefined, route: "/health" }), { ...env, DB: broken });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "down", db: "down" });
  });
});
