// Demo data through the product's own API (so hashes, revisions and ledger rows are real):
// one admin, one funded player with two skins to upgrade, a free daily case, three paid cases and a
// welcome promo code. Safe to run again: it skips what exists.
import { executeLocal } from "./dev-server.mjs";

export const DEMO = {
  admin: { email: "admin@cyberhub.local", password: "admin-demo-password", displayName: "CyberHub Admin" },
  player: { email: "player@cyberhub.local", password: "player-demo-password", displayName: "Demo Player" },
  playerStartingBalance: 100_00,
  // Skins to try the upgrader with: two Knife Dream cases (all skins), opened for the new player on
  // a credit of their price, so the balance still starts at playerStartingBalance.
  upgraderKit: { caseSlug: "knife-dream", count: 2 },
  /** What a brand-new account can redeem (once): enough for a Starter Case. */
  promo: { code: "WELCOME", amount: 5_00, maxUses: 10_000 },
};

export const DEMO_CASES = [
  {
    name: "Daily Free",
    slug: "daily-free",
    imageUrl: "/img/case-cash.svg",
    price: 0,
    free: true,
    freeCooldownSeconds: 86_400,
    active: true,
    items: [
      { name: "0.05 € cash", imageUrl: "/img/cash.svg", rarity: "consumer", value: 5, kind: "money", weight: 500 },
      { name: "P250 | Sand Dune", imageUrl: "/img/skin.svg", rarity: "consumer", value: 10, kind: "skin", weight: 300 },
      { name: "0.50 € cash", imageUrl: "/img/cash.svg", rarity: "milspec", value: 50, kind: "money", weight: 150 },
      { name: "MP9 | Storm", imageUrl: "/img/skin.svg", rarity: "industrial", value: 45, kind: "skin", weight: 45 },
      { name: "2.50 € cash", imageUrl: "/img/cash.svg", rarity: "restricted", value: 2_50, kind: "money", weight: 5 },
    ],
  },
  {
    name: "Starter Case",
    slug: "starter",
    imageUrl: "/img/case-starter.svg",
    price: 2_50,
    active: true,
    items: [
      { name: "P250 | Sand Dune", imageUrl: "/img/skin.svg", rarity: "consumer", value: 10, kind: "skin", weight: 400 },
      { name: "MP9 | Storm", imageUrl: "/img/skin.svg", rarity: "industrial", value: 45, kind: "skin", weight: 250 },
      { name: "1.00 € cash", imageUrl: "/img/cash.svg", rarity: "milspec", value: 1_00, kind: "money", weight: 200 },
      { name: "AK-47 | Redline", imageUrl: "/img/skin.svg", rarity: "classified", value: 15_00, kind: "skin", weight: 40 },
      { name: "10.00 € cash", imageUrl: "/img/cash.svg", rarity: "restricted", value: 10_00, kind: "money", weight: 30 },
      { name: "AWP | Asiimov", imageUrl: "/img/skin.svg", rarity: "covert", value: 60_00, kind: "skin", weight: 5 },
    ],
  },
  {
    name: "Cash Rush",
    slug: "cash-rush",
    imageUrl: "/img/case-cash.svg",
    price: 5_00,
    active: true,
    items: [
      { name: "0.50 € cash", imageUrl: "/img/cash.svg", rarity: "consumer", value: 50, kind: "money", weight: 500 },
      { name: "2.00 € cash", imageUrl: "/img/cash.svg", rarity: "milspec", value: 2_00, kind: "money", weight: 300 },
      { name: "5.00 € cash", imageUrl: "/img/cash.svg", rarity: "restricted", value: 5_00, kind: "money", weight: 150 },
      { name: "25.00 € cash", imageUrl: "/img/cash.svg", rarity: "classified", value: 25_00, kind: "money", weight: 45 },
      { name: "100.00 € cash", imageUrl: "/img/cash.svg", rarity: "covert", value: 100_00, kind: "money", weight: 5 },
    ],
  },
  {
    name: "Knife Dream",
    slug: "knife-dream",
    imageUrl: "/img/case-knife.svg",
    price: 15_00,
    active: true,
    items: [
      { name: "Glock-18 | Water Elemental", imageUrl: "/img/skin.svg", rarity: "restricted", value: 3_00, kind: "skin", weight: 600 },
      { name: "M4A1-S | Hyper Beast", imageUrl: "/img/skin.svg", rarity: "classified", value: 12_00, kind: "skin", weight: 300 },
      { name: "Desert Eagle | Blaze", imageUrl: "/img/skin.svg", rarity: "covert", value: 40_00, kind: "skin", weight: 90 },
      { name: "★ Karambit | Fade", imageUrl: "/img/knife.svg", rarity: "extraordinary", value: 900_00, kind: "skin", weight: 10 },
    ],
  },
];

async function api(baseUrl, method, path, { token, body, headers = {} } = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    // One connection per call: seeding waits seconds on `wrangler d1 execute`, longer than workerd keeps an idle connection.
    headers: { connection: "close", ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Logs in, or registers first when the account does not exist yet. */
export async function ensureUser(baseUrl, account) {
  const login = await api(baseUrl, "POST", "/api/auth/login", { body: { email: account.email, password: account.password } });
  if (login.status === 200) return { ...login.body, created: false };
  const reg = await api(baseUrl, "POST", "/api/auth/register", { body: account });
  if (reg.status !== 201) throw new Error(`could not register ${account.email}: ${JSON.stringify(reg.body)}`);
  return { ...reg.body, created: true };
}

/** Seeds the demo data into the server at `baseUrl` whose local state lives in `stateDir`. */
export async function seedDemo(baseUrl, stateDir) {
  const admin = await ensureUser(baseUrl, DEMO.admin);
  if (admin.user.role !== "admin") {
    await executeLocal(stateDir, `UPDATE users SET role = 'admin' WHERE email = '${DEMO.admin.email}'`);
  }
  const player = await ensureUser(baseUrl, DEMO.player);
  if (player.created) {
    const res = await api(baseUrl, "POST", `/api/admin/users/${player.user.id}/balance`, {
      token: admin.token,
      body: { amount: DEMO.playerStartingBalance, reason: "Demo starting balance" },
      headers: { "idempotency-key": `demo-funding-${player.user.id}` },
    });
    if (res.status !== 201) throw new Error(`could not fund the demo player: ${JSON.stringify(res.body)}`);
  }
  const existing = await api(baseUrl, "GET", "/api/admin/cases", { token: admin.token });
  const slugs = new Set((existing.body?.cases ?? []).map((c) => c.slug));
  for (const demoCase of DEMO_CASES) {
    if (slugs.has(demoCase.slug)) continue;
    const res = await api(baseUrl, "POST", "/api/admin/cases", { token: admin.token, body: demoCase });
    if (res.status !== 201) throw new Error(`could not create case ${demoCase.slug}: ${JSON.stringify(res.body)}`);
  }
  if (player.created) await giveUpgraderKit(baseUrl, admin.token, player);
  const promo = await api(baseUrl, "POST", "/api/admin/promo-codes", { token: admin.token, body: DEMO.promo });
  if (promo.status !== 201 && promo.body?.error?.code !== "promo_code_taken") throw new Error(`could not create the promo code: ${JSON.stringify(promo.body)}`);
  return { admin, player };
}

async function giveUpgraderKit(baseUrl, adminToken, player) {
  const { caseSlug, count } = DEMO.upgraderKit;
  const price = DEMO_CASES.find((c) => c.slug === caseSlug).price;
  const funded = await api(baseUrl, "POST", `/api/admin/users/${player.user.id}/balance`, {
    token: adminToken,
    body: { amount: price * count, reason: "Demo: skins to try the upgrader with" },
    headers: { "idempotency-key": `demo-kit-funding-${player.user.id}` },
  });
  if (funded.status !== 201) throw new Error(`could not fund the demo skins: ${JSON.stringify(funded.body)}`);
  const opened = await api(baseUrl, "POST", `/api/cases/${caseSlug}/open`, {
    token: player.token,
    body: { count },
    headers: { "idempotency-key": `demo-kit-${player.user.id}` },
  });
  if (opened.status !== 201) throw new Error(`could not open the demo skins: ${JSON.stringify(opened.body)}`);
}
