import { beforeAll, describe, expect, it } from "vitest";
import { call, caseInput, createCase, credit, expectLedgerExplainsBalance, registerAdmin, registerUser, type TestUser } from "../helpers";

let admin: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
});

describe("ledger", () => {
  it("explains the balance entry by entry, newest first, and pages", async () => {
    const player = await registerUser();
    await credit(admin, player.id, 1_000);
    const box = await createCase(admin, { price: 300 });
    await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 2 } });
    const page = await call("GET", "/api/ledger?limit=1", { token: player.token });
    expect(page.status).toBe(200);
    expect(page.body.balance).toBe(400);
    expect(page.body.entries).toEqual([expect.objectContaining({ delta: -600, balanceAfter: 400, reason: "open", ref: box.id })]);
    const rest = await call("GET", `/api/ledger?cursor=${page.body.nextCursor}`, { token: player.token });
    expect(rest.body.entries).toEqual([expect.objectContaining({ delta: 1_000, balanceAfter: 1_000, reason: "admin_credit", note: "test funding" })]);
    expect(rest.body.nextCursor).toBeNull();
    expect((await call("GET", "/api/ledger")).status).toBe(401);
  });
});

describe("ledger entries name what they moved", () => {
  it("an opening names its case and items, a claim or sale its items (five names at most, with the count), an adjustment nothing", async () => {
    const player = await registerUser();
    await credit(admin, player.id, 10_000);
    const box = await createCase(admin, { name: "Named Case", price: 100 });
    const opened = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 5 } });
    const more = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 5 } });
    expect([opened.status, more.status]).toEqual([201, 201]);
    const won = [...opened.body.items, ...more.body.items];
    const first = opened.body.items[0]!;
    const single = await call("POST", `/api/inventory/${first.kind === "money" ? "claim" : "sell"}`, { token: player.token, body: { itemId: first.id } });
    expect(single.status).toBe(200);
    // Renaming the case later does not rename what was opened: the names are the revision's.
    await call("PUT", `/api/admin/cases/${box.id}`, { token: admin.token, body: caseInput({ name: "Renamed", slug: box.slug, price: 100 }) });
    const rest = won.slice(1);
    const skins = rest.filter((i) => i.kind === "skin");
    const cash = rest.filter((i) => i.kind === "money");
    await call("POST", "/api/inventory/sell", { token: player.token, body: { all: true } });
    await call("POST", "/api/inventory/claim", { token: player.token, body: { all: true } });

    const page = await call("GET", "/api/ledger?limit=10", { token: player.token });
    expect(page.status).toBe(200);
    const byReason = (reason: string) => page.body.entries.filter((e) => e.reason === reason);
    const sorted = (names: readonly string[]) => [...names].sort();
    const opens = byReason("open");
    expect(opens).toHaveLength(2);
    for (const [entry, res] of [
      [opens[1]!, opened],
      [opens[0]!, more],
    ] as const) {
      expect(entry).toMatchObject({ caseName: "Named Case", itemCount: 5 });
      expect(sorted(entry.items)).toEqual(sorted(res.body.items.map((i) => i.name)));
    }
    const settles = [...byReason("claim"), ...byReason("sell")];
    const one = settles.find((e) => e.id === single.body.ledgerEntryId)!;
    expect(one).toMatchObject({ caseName: null, items: [first.name], itemCount: 1 });
    for (const [reason, items] of [
      ["sell", skins],
      ["claim", cash],
    ] as const) {
      const entry = settles.find((e) => e.reason === reason && e.id !== one.id);
      if (items.length === 0) continue;
      expect(entry?.itemCount).toBe(items.length);
      expect(entry?.items).toHaveLength(Math.min(5, items.length));
      for (const name of entry?.items ?? []) expect(items.map((i) => i.name)).toContain(name);
    }
    expect(byReason("admin_credit")[0]).toMatchObject({ caseName: null, items: [], itemCount: 0 });
    // The admin's view of the same ledger says the same.
    const adminView = await call("GET", `/api/admin/users/${player.id}/ledger?limit=10`, { token: admin.token });
    expect(adminView.body.entries).toEqual(page.body.entries);
  });
});

describe("admin balance adjustments", () => {
  it("credits and debits with a reason; a debit can never overdraw", async () => {
    const player = await registerUser();
    const creditRes = await call("POST", `/api/admin/users/${player.id}/balance`, { token: admin.token, body: { amount: 500, reason: "tournament prize" } });
    expect(creditRes.status).toBe(201);
    expect(creditRes.body).toMatchObject({ balance: 500, entry: { delta: 500, reason: "admin_credit", note: "tournament prize" } });
    const debit = await call("POST", `/api/admin/users/${player.id}/balance`, { token: admin.token, body: { amount: -200, reason: "chargeback" } });
    expect(debit.body).toMatchObject({ balance: 300, entry: { reason: "admin_debit" } });
    const overdraw = await call("POST", `/api/admin/users/${player.id}/balance`, { token: admin.token, body: { amount: -301, reason: "too much" } });
    expect(overdraw.status).toBe(422);
    expect(overdraw.error?.code).toBe("insufficient_balance");
    expect(await expectLedgerExplainsBalance(player.id)).toBe(300);
  });

  it.each([
    [{ amount: 0, reason: "nothing" }, "amount"],
    [{ amount: 1.5, reason: "fractional cents" }, "amount"],
    [{ amount: 100, reason: "" }, "reason"],
    [{ amount: 100 }, "reason"],
  ])("rejects %j with 400", async (body, path) => {
    const player = await registerUser();
    const res = await call("POST", `/api/admin/users/${player.id}/balance`, { token: admin.token, body });
    expect(res.status).toBe(400);
    expect(res.error?.issues?.[0]?.path).toBe(path);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
  });

  it("404s for unknown users, 403s for players", async () => {
    const player = await registerUser();
    expect((await call("POST", `/api/admin/users/${crypto.randomUUID()}/balance`, { token: admin.token, body: { amount: 5, reason: "ghost" } })).status).toBe(404);
    expect((await call("POST", `/api/admin/users/${player.id}/balance`, { token: player.token, body: { amount: 5, reason: "self-service" } })).status).toBe(403);
    expect((await call("GET", "/api/admin/users", { token: player.token })).status).toBe(403);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
  });

  it("an idempotent credit retry credits once", async () => {
    const player = await registerUser();
    const headers = { "idempotency-key": `credit-${crypto.randomUUID()}` };
    const body = { amount: 700, reason: "welcome bonus" };
    const results = await Promise.all([1, 2, 3].map(() => call("POST", `/api/admin/users/${player.id}/balance`, { token: admin.token, body, headers })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(results.map((r) => r.body.entry.id)).size).toBe(1);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(700);
    const changed = await call("POST", `/api/admin/users/${player.id}/balance`, { token: admin.token, body: { ...body, amount: 701 }, headers });
    expect(changed.status).toBe(422);
  });

  it("lists and searches users with balances", async () => {
    const player = await registerUser("searchable");
    await credit(admin, player.id, 42);
    const res = await call("GET", `/api/admin/users?query=${encodeURIComponent(player.email)}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.users).toEqual([expect.objectContaining({ id: player.id, balance: 42, role: "player" })]);
    expect(res.body.users[0]).not.toHaveProperty("passwordHash");
    const userLedger = await call("GET", `/api/admin/users/${player.id}/ledger`, { token: admin.token });
    expect(userLedger.body.entries).toHaveLength(1);
  });
});
