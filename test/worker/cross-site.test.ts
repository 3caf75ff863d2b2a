import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { router } from "../../src/router";
import { call, caseInput, createCase, credit, ORIGIN, registerAdmin, registerUser, uniqueEmail, type TestUser } from "../helpers";

// Every write route, straight from the router's own table, with a live session cookie and a
// foreign Origin: 403 and nothing changed. The same request from this site then succeeds, so the
// refusal is the origin check's and not a bad sample. A write route added without an entry in
// WRITES fails here until it gets one.
//
// Login and register are public and take no cookie, but they set one: from a foreign page they
// would sign the visitor's browser into an account the attacker chose ("login CSRF"). They are
// refused from a foreign Origin too, create nothing there, and work from this site.

interface Fixture {
  player: TestUser;
  moneyItemId: string;
  skinItemId: string;
  caseId: string;
  slug: string;
  newSlug: string;
  /** A skin of the fresh case worth 1500: the skin (75) stakes for it at 4.75 %. */
  targetItemId: string;
  promoCodeId: string;
  promoCode: string;
  newPromoCode: string;
  /** A waiting 1v1 of the player's (seat 1 theirs), and one of another player's with a free seat. */
  battleId: string;
  hostBattleId: string;
}

interface CookieWrite {
  as: "player" | "admin";
  path: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  ok: number;
}

interface PublicWrite {
  public: (f: Fixture) => { path: string; body: unknown; ok: number; userEmail: string };
}

const PASSWORD = "correct horse battery";
let attacker: TestUser;

const WRITES: Record<string, CookieWrite | PublicWrite> = {
  "POST /api/auth/register": { public: () => ({ path: "/api/auth/register", ...registration() }) },
  "POST /api/auth/login": { public: () => ({ path: "/api/auth/login", body: { email: attacker.email, password: PASSWORD }, ok: 200, userEmail: attacker.email }) },
  "POST /api/auth/logout": { as: "player", path: () => "/api/auth/logout", ok: 204 },
  "POST /api/cases/:id/open": { as: "player", path: (f) => `/api/cases/${f.caseId}/open`, body: () => ({ count: 1 }), ok: 201 },
  "POST /api/inventory/claim": { as: "player", path: () => "/api/inventory/claim", body: () => ({ all: true }), ok: 200 },
  "POST /api/inventory/sell": { as: "player", path: () => "/api/inventory/sell", body: (f) => ({ itemId: f.skinItemId }), ok: 200 },
  "POST /api/upgrader": { as: "player", path: () => "/api/upgrader", body: (f) => ({ itemIds: [f.skinItemId], targetItemId: f.targetItemId }), ok: 201 },
  "POST /api/battles": { as: "player", path: () => "/api/battles", body: (f) => ({ cases: [f.caseId], format: "1v1", mode: "classic" }), ok: 201 },
  "POST /api/battles/:id/join": { as: "player", path: (f) => `/api/battles/${f.hostBattleId}/join`, body: () => ({}), ok: 200 },
  "POST /api/battles/:id/bots": { as: "player", path: (f) => `/api/battles/${f.battleId}/bots`, ok: 200 },
  "POST /api/battles/:id/cancel": { as: "player", path: (f) => `/api/battles/${f.battleId}/cancel`, ok: 200 },
  "POST /api/realtime/ticket": { as: "player", path: () => "/api/realtime/ticket", ok: 201 },
  "PUT /api/fairness/client-seed": { as: "player", path: () => "/api/fairness/client-seed", body: () => ({ clientSeed: "borrowed-cookie" }), ok: 200 },
  "POST /api/fairness/rotate": { as: "player", path: () => "/api/fairness/rotate", ok: 200 },
  "POST /api/admin/cases": { as: "admin", path: () => "/api/admin/cases", body: (f) => caseInput({ slug: f.newSlug }), ok: 201 },
  "PUT /api/admin/cases/:id": { as: "admin", path: (f) => `/api/admin/cases/${f.caseId}`, body: (f) => caseInput({ slug: f.slug, price: 1 }), ok: 200 },
  "PATCH /api/admin/cases/:id": { as: "admin", path: (f) => `/api/admin/cases/${f.caseId}`, body: () => ({ active: false }), ok: 200 },
  "DELETE /api/admin/cases/:id": { as: "admin", path: (f) => `/api/admin/cases/${f.caseId}`, ok: 204 },
  "POST /api/admin/users/:id/balance": { as: "admin", path: (f) => `/api/admin/users/${f.player.id}/balance`, body: () => ({ amount: 500, reason: "borrowed" }), ok: 201 },
  "POST /api/promo/redeem": { as: "player", path: () => "/api/promo/redeem", body: (f) => ({ code: f.promoCode }), ok: 201 },
  "POST /api/admin/promo-codes": { as: "admin", path: () => "/api/admin/promo-codes", body: (f) => ({ code: f.newPromoCode, amount: 100, maxUses: 1 }), ok: 201 },
  "POST /api/admin/promo-codes/:id/disable": { as: "admin", path: (f) => `/api/admin/promo-codes/${f.promoCodeId}/disable`, ok: 200 },
};

let promoCounter = 0;
const promoCode = () => `CSRF-${Date.now().toString(36)}-${promoCounter++}`.toUpperCase();

function registration() {
  const email = uniqueEmail("newcomer");
  return { body: { email, password: PASSWORD, displayName: "Newcomer" }, ok: 201, userEmail: email };
}

/** `METHOD /path` of every route that is not a GET. */
const writeRoutes = router.routes.filter(([method]) => method !== "GET").map(([method, , , path]) => `${method} ${path}`);
const isPublic = (route: string) => {
  const entry = WRITES[route];
  return entry !== undefined && "public" in entry;
};
/** A write route without an entry lands here, and fails for want of a sample. */
const cookieRoutes = writeRoutes.filter((route) => !isPublic(route));
const publicRoutes = writeRoutes.filter(isPublic);

const FOREIGN_ORIGINS = ["https://evil.example", "null", "http://cyberhub.test.evil.example"];

let admin: TestUser;
let host: TestUser;
let moneyCase: { id: string };
let skinCase: { id: string };

beforeAll(async () => {
  admin = await registerAdmin();
  attacker = await registerUser("attacker");
  host = await registerUser("battle-host");
  await credit(admin, host.id, 100_000);
  moneyCase = await createCase(admin, { price: 100, items: [{ name: "2.50 € cash", rarity: "milspec", value: 250, kind: "money", weight: 1 }] });
  skinCase = await createCase(admin, { price: 100, items: [{ name: "AK-47 | Redline", rarity: "classified", value: 75, kind: "skin", weight: 1 }] });
});

/** A player with 800 in the balance, one money prize and one skin, and a fresh case. */
async function fixture(): Promise<Fixture> {
  const player = await registerUser("victim");
  await credit(admin, player.id, 1_000);
  const open = async (id: string) => (await call("POST", `/api/cases/${id}/open`, { token: player.token })).body.items[0].id as string;
  const moneyItemId = await open(moneyCase.id);
  const skinItemId = await open(skinCase.id);
  const box = await createCase(admin);
  const targetItemId = box.items.find((i) => i.kind === "skin" && i.value === 1500)?.id ?? "";
  const battle = async (who: TestUser) => {
    const res = await call("POST", "/api/battles", { token: who.token, body: { cases: [box.id], format: "1v1", mode: "classic" } });
    expect(res.status).toBe(201);
    return res.body.battle.id as string;
  };
  const code = promoCode();
  const promo = await call("POST", "/api/admin/promo-codes", { token: admin.token, body: { code, amount: 100, maxUses: 5 } });
  expect(promo.status).toBe(201);
  return { player, moneyItemId, skinItemId, caseId: box.id, slug: box.slug, newSlug: caseInput().slug, targetItemId, promoCodeId: promo.body.promoCode.id, promoCode: code, newPromoCode: promoCode(), battleId: await battle(player), hostBattleId: await battle(host) };
}

/** Balance, ledger, inventory, sessions, seeds and tickets of the player; the fixture case and the catalogue. */
async function snapshot(f: Fixture) {
  const all = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).all()).results;
  const id = f.player.id;
  return {
    user: await all("SELECT balance, version, next_nonce, role FROM users WHERE id = ?", id),
    ledger: await all("SELECT id, delta FROM ledger WHERE user_id = ? ORDER BY id", id),
    inventory: await all("SELECT id, status, settled_ledger_id FROM openings WHERE user_id = ? ORDER BY id", id),
    sessions: await all("SELECT id, revoked_at, expires_at FROM sessions WHERE user_id = ? ORDER BY id", id),
    seeds: await all("SELECT id, client_seed, revealed_at FROM server_seeds WHERE user_id = ? ORDER BY id", id),
    tickets: await all("SELECT id FROM realtime_tickets WHERE user_id = ? ORDER BY id", id),
    case: await all("SELECT * FROM cases WHERE id = ?", f.caseId),
    items: await all("SELECT * FROM case_items WHERE case_id = ? ORDER BY id", f.caseId),
    created: await all("SELECT id FROM cases WHERE slug = ?", f.newSlug),
    catalog: await all("SELECT version FROM catalog_state"),
    promo: await all("SELECT id, uses, disabled_at FROM promo_codes WHERE code IN (?, ?) ORDER BY id", f.promoCode, f.newPromoCode),
    battles: await all("SELECT id, status, seats_taken FROM battles WHERE id IN (?, ?) OR creator_id = ? ORDER BY id", f.battleId, f.hostBattleId, id),
  };
}

describe("cross-site writes with the session cookie", () => {
  it("the table has an entry for every write route in the router, and no stale ones", () => {
    expect(writeRoutes.length).toBeGreaterThan(0);
    expect([...writeRoutes].sort()).toEqual(Object.keys(WRITES).sort());
  });

  it.each(cookieRoutes)("%s with the session cookie and a foreign Origin: 403 and nothing changed; from this site it succeeds", async (route) => {
    const entry = WRITES[route];
    if (!entry || "public" in entry) throw new Error(`${route} has no entry in WRITES: add a sample request for it`);
    const method = route.split(" ")[0]!;
    const f = await fixture();
    const before = await snapshot(f);
    const cookie = `ch_session=${entry.as === "admin" ? admin.token : f.player.token}`;
    const body = entry.body?.(f);
    for (const origin of FOREIGN_ORIGINS) {
      const res = await call(method, entry.path(f), { body, headers: { cookie, origin } });
      expect(res.status, `${route} from ${origin}`).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
      expect(await snapshot(f)).toEqual(before);
    }
    const sameSite = await call(method, entry.path(f), { body, headers: { cookie, origin: ORIGIN } });
    expect(sameSite.status).toBe(entry.ok);
    expect(await snapshot(f)).not.toEqual(before);
  });

  it.each(publicRoutes)("%s (public, sets the cookie) from a foreign Origin: 403, no account or session made; from this site it succeeds", async (route) => {
    const entry = WRITES[route];
    if (!entry || !("public" in entry)) throw new Error(`${route} is not a public entry`);
    const sample = entry.public(await fixture());
    const accountOf = async () =>
      (await env.DB.prepare("SELECT u.id, (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id) AS sessions FROM users u WHERE u.email = ?").bind(sample.userEmail).all()).results;
    const before = await accountOf();
    for (const origin of FOREIGN_ORIGINS) {
      const res = await call(route.split(" ")[0]!, sample.path, { body: sample.body, headers: { origin } });
      expect(res.status, `${route} from ${origin}`).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await accountOf()).toEqual(before);
    }
    const sameSite = await call(route.split(" ")[0]!, sample.path, { body: sample.body, headers: { origin: ORIGIN } });
    expect(sameSite.status).toBe(sample.ok);
    expect(sameSite.body.user.email).toBe(sample.userEmail);
    expect(await accountOf()).not.toEqual(before);
  });
});
