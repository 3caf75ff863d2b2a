import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { router } from "../../src/router";
import { call, caseInput, createCase, registerAdmin, registerUser, type CallOptions, type TestUser } from "../helpers";

// Every /api/admin/* route, straight from the router's own table: anonymous → 401, player → 403
// (and neither changes anything), admin → 2xx. A route added without an entry in SAMPLES fails
// here until it gets one, so its policy is tested from its first commit.

interface Fixture {
  caseId: string;
  slug: string;
  /** A slug no case has yet: what a create would use. */
  newSlug: string;
  /** Another player, the subject of the user routes. */
  userId: string;
  promoCodeId: string;
  /** A code no promo has yet: what a create would use. */
  newPromoCode: string;
}

interface Sample {
  path: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  /** The admin's answer. */
  ok: number;
}

const SAMPLES: Record<string, Sample> = {
  "GET /api/admin/cases": { path: () => "/api/admin/cases", ok: 200 },
  "POST /api/admin/cases": { path: () => "/api/admin/cases", body: (f) => caseInput({ slug: f.newSlug }), ok: 201 },
  "GET /api/admin/cases/:id": { path: (f) => `/api/admin/cases/${f.caseId}`, ok: 200 },
  "PUT /api/admin/cases/:id": { path: (f) => `/api/admin/cases/${f.caseId}`, body: (f) => caseInput({ slug: f.slug, name: "Renamed", price: 999 }), ok: 200 },
  "PATCH /api/admin/cases/:id": { path: (f) => `/api/admin/cases/${f.caseId}`, body: () => ({ active: false }), ok: 200 },
  "DELETE /api/admin/cases/:id": { path: (f) => `/api/admin/cases/${f.caseId}`, ok: 204 },
  "GET /api/admin/users": { path: () => "/api/admin/users", ok: 200 },
  "GET /api/admin/users/:id/ledger": { path: (f) => `/api/admin/users/${f.userId}/ledger`, ok: 200 },
  "POST /api/admin/users/:id/balance": { path: (f) => `/api/admin/users/${f.userId}/balance`, body: () => ({ amount: 500, reason: "policy test" }), ok: 201 },
  "GET /api/admin/promo-codes": { path: () => "/api/admin/promo-codes", ok: 200 },
  "POST /api/admin/promo-codes": { path: () => "/api/admin/promo-codes", body: (f) => ({ code: f.newPromoCode, amount: 100, maxUses: 3 }), ok: 201 },
  "POST /api/admin/promo-codes/:id/disable": { path: (f) => `/api/admin/promo-codes/${f.promoCodeId}/disable`, ok: 200 },
};

let promoCounter = 0;
const promoCode = () => `POLICY-${Date.now().toString(36)}-${promoCounter++}`.toUpperCase();

/** `METHOD /path` of every route the router serves under /api/admin. */
const adminRoutes = router.routes
  .filter(([, , , path]) => path?.startsWith("/api/admin"))
  .map(([method, , , path]) => `${method} ${path}`);

let admin: TestUser;
let player: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
  player = await registerUser();
});

async function fixture(): Promise<Fixture> {
  const box = await createCase(admin);
  const subject = await registerUser("subject");
  const promo = await call("POST", "/api/admin/promo-codes", { token: admin.token, body: { code: promoCode(), amount: 100, maxUses: 3 } });
  expect(promo.status).toBe(201);
  return { caseId: box.id, slug: box.slug, newSlug: caseInput().slug, userId: subject.id, promoCodeId: promo.body.promoCode.id, newPromoCode: promoCode() };
}

/** Everything an admin route could write, as far as the fixture reaches. */
async function snapshot(f: Fixture) {
  const first = (sql: string, ...args: unknown[]) => env.DB.prepare(sql).bind(...args).first();
  return {
    case: await first("SELECT * FROM cases WHERE id = ?", f.caseId),
    items: (await env.DB.prepare("SELECT * FROM case_items WHERE case_id = ? ORDER BY id").bind(f.caseId).all()).results,
    revisions: await first("SELECT COUNT(*) AS n FROM case_revisions WHERE case_id = ?", f.caseId),
    created: await first("SELECT COUNT(*) AS n FROM cases WHERE slug = ?", f.newSlug),
    catalog: await first("SELECT version FROM catalog_state"),
    user: await first("SELECT balance, version FROM users WHERE id = ?", f.userId),
    ledger: await first("SELECT COUNT(*) AS n FROM ledger WHERE user_id = ?", f.userId),
    promo: await first("SELECT * FROM promo_codes WHERE id = ?", f.promoCodeId),
    createdPromo: await first("SELECT COUNT(*) AS n FROM promo_codes WHERE code = ?", f.newPromoCode),
  };
}

function request(sample: Sample, f: Fixture, token?: string): [string, CallOptions] {
  return [sample.path(f), { token, body: sample.body?.(f) }];
}

describe("admin route policy", () => {
  it("the table has a sample request for every admin route in the router, and no stale ones", () => {
    expect(adminRoutes.length).toBeGreaterThan(0);
    expect([...adminRoutes].sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(adminRoutes)("%s: anonymous 401, player 403 (nothing changed), admin 2xx", async (route) => {
    const sample = SAMPLES[route];
    if (!sample) throw new Error(`${route} has no entry in SAMPLES: add a sample request for it`);
    const method = route.split(" ")[0]!;
    const f = await fixture();
    const before = await snapshot(f);

    const anonymous = await call(method, ...request(sample, f));
    expect(anonymous.status).toBe(401);
    expect(anonymous.error?.code).toBe("unauthorized");
    const asPlayer = await call(method, ...request(sample, f, player.token));
    expect(asPlayer.status).toBe(403);
    expect(asPlayer.error?.code).toBe("forbidden");
    expect(await snapshot(f)).toEqual(before);

    const asAdmin = await call(method, ...request(sample, f, admin.token));
    expect(asAdmin.status).toBe(sample.ok);
    // The snapshot sees what a write route writes, so "nothing changed" above means something.
    if (method !== "GET") expect(await snapshot(f)).not.toEqual(before);
  });
});
