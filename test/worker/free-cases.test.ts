import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, caseInput, createCase, expectLedgerExplainsBalance, freeCaseInput, registerAdmin, registerUser, type TestUser } from "../helpers";

let admin: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
});

const count = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())?.n;
const openingsOf = (userId: string) => count("SELECT COUNT(*) AS n FROM openings WHERE user_id = ?", userId);
const open = (box: { id: string }, player: TestUser, extra: { body?: unknown; headers?: Record<string, string> } = {}) =>
  call("POST", `/api/cases/${box.id}/open`, { token: player.token, ...extra });
/** Moves the player's last free open of the case `ms` into the past, as if that time had gone by. */
const rewind = (player: TestUser, box: { id: string }, ms: number) =>
  env.DB.prepare("UPDATE free_claims SET last_opened_at = last_opened_at - ? WHERE user_id = ? AND case_id = ?").bind(ms, player.id, box.id).run();

describe("free cases: the catalogue", () => {
  it("an admin marks a case free: price 0 with a cooldown (24 h unless named); the catalogue says so", async () => {
    const box = await createCase(admin, freeCaseInput({ freeCooldownSeconds: undefined }));
    const list = await call("GET", "/api/cases");
    const listed = list.body.cases.find((c: { id: string }) => c.id === box.id);
    expect(listed).toMatchObject({ price: 0, free: true, freeCooldownSeconds: 86_400 });
    const paid = await createCase(admin);
    expect((await call("GET", `/api/cases/${paid.id}`)).body.case).toMatchObject({ free: false, freeCooldownSeconds: null });
  });

  it.each([
    ["a free case with a price", freeCaseInput({ price: 100 }), "must be 0 for a free case"],
    ["a paid case at price 0", caseInput({ price: 0 }), "must be greater than 0"],
  ])("refuses %s under the price field", async (_what, body, message) => {
    const res = await call("POST", "/api/admin/cases", { token: admin.token, body });
    expect(res.status).toBe(400);
    expect(res.error?.issues).toEqual([{ path: "price", message }]);
  });

  it("the table itself refuses a price 0 without a cooldown, and a price with one", async () => {
    const box = await createCase(admin);
    await expect(env.DB.prepare("UPDATE cases SET price = 0 WHERE id = ?").bind(box.id).run()).rejects.toThrow(/CHECK/);
    await expect(env.DB.prepare("UPDATE cases SET free_cooldown_seconds = 60 WHERE id = ?").bind(box.id).run()).rejects.toThrow(/CHECK/);
  });

  it("a paid case can become free and back; its version moves each time", async () => {
    const box = await createCase(admin);
    const free = await call("PUT", `/api/admin/cases/${box.id}`, { token: admin.token, body: freeCaseInput({ slug: box.slug, freeCooldownSeconds: 3_600 }) });
    expect(free.status).toBe(200);
    expect(free.body.case).toMatchObject({ free: true, price: 0, freeCooldownSeconds: 3_600, version: 2 });
    const paid = await call("PUT", `/api/admin/cases/${box.id}`, { token: admin.token, body: caseInput({ slug: box.slug }) });
    expect(paid.body.case).toMatchObject({ free: false, price: 250, freeCooldownSeconds: null, version: 3 });
  });
});

describe("free cases: opening", () => {
  it("a brand-new account (0.00 €) opens it once; the win is a real item; a second open is a 429 with retryAfter", async () => {
    const box = await createCase(admin, freeCaseInput());
    const player = await registerUser("newcomer");
    const first = await open(box, player);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ price: 0, total: 0, balance: 0, count: 1 });
    const entry = await env.DB.prepare("SELECT delta, reason, ref FROM ledger WHERE user_id = ?").bind(player.id).all();
    expect(entry.results).toEqual([{ delta: 0, reason: "open", ref: box.id }]);

    const again = await open(box, player);
    expect(again.status).toBe(429);
    expect(again.error?.code).toBe("free_case_cooldown");
    expect(again.error?.retryAfter).toBeGreaterThan(86_390);
    expect(again.error?.retryAfter).toBeLessThanOrEqual(86_400);
    expect(again.headers.get("retry-after")).toBe(String(again.error?.retryAfter));
    expect(await openingsOf(player.id)).toBe(1);

    // The prize is the player's like any other: claimed or sold into the balance.
    const won = first.body.items[0]!;
    const settle = await call("POST", `/api/inventory/${won.kind === "money" ? "claim" : "sell"}`, { token: player.token, body: { itemId: won.id } });
    expect(settle.status).toBe(200);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(won.value);
  });

  it("retryAfter counts down from the stored time, and the case opens again once the cooldown has passed", async () => {
    const box = await createCase(admin, freeCaseInput({ freeCooldownSeconds: 600 }));
    const player = await registerUser();
    expect((await open(box, player)).status).toBe(201);
    await rewind(player, box, 400_000);
    const early = await open(box, player);
    expect(early.status).toBe(429);
    expect(early.error?.retryAfter).toBeGreaterThan(190);
    expect(early.error?.retryAfter).toBeLessThanOrEqual(200);
    await rewind(player, box, 200_000);
    const later = await open(box, player);
    expect(later.status).toBe(201);
    expect(later.body.items[0]!.nonce).toBe(1);
    expect(await openingsOf(player.id)).toBe(2);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
  });

  it("20 simultaneous free opens by one player give exactly one opening (cold), and again once the cooldown passed (warm)", async () => {
    const box = await createCase(admin, freeCaseInput());
    const player = await registerUser();
    const race = async () => (await Promise.all(Array.from({ length: 20 }, () => open(box, player)))).map((r) => r.status).sort();
    expect(await race()).toEqual([201, ...Array<number>(19).fill(429)]);
    expect(await openingsOf(player.id)).toBe(1);
    await rewind(player, box, 86_400_000);
    expect(await race()).toEqual([201, ...Array<number>(19).fill(429)]);
    expect(await openingsOf(player.id)).toBe(2);
    expect(await count("SELECT COUNT(*) AS n FROM ledger WHERE user_id = ?", player.id)).toBe(2);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
  });

  it("opens one at a time: ×2 is a 422 and writes nothing", async () => {
    const box = await createCase(admin, freeCaseInput());
    const player = await registerUser();
    const res = await open(box, player, { body: { count: 2 } });
    expect(res.status).toBe(422);
    expect(res.error?.code).toBe("free_case_single");
    expect(await count("SELECT next_nonce AS n FROM users WHERE id = ?", player.id)).toBe(0);
    expect(await openingsOf(player.id)).toBe(0);
  });

  it("a retry with the same Idempotency-Key replays the first result instead of a 429", async () => {
    const box = await createCase(admin, freeCaseInput());
    const player = await registerUser();
    const headers = { "idempotency-key": `free-${crypto.randomUUID()}` };
    const first = await open(box, player, { headers });
    const retry = await open(box, player, { headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expect(await openingsOf(player.id)).toBe(1);
  });

  it("each player has their own cooldown, per free case", async () => {
    const [a, b] = [await createCase(admin, freeCaseInput()), await createCase(admin, freeCaseInput())];
    const [p, q] = [await registerUser(), await registerUser()];
    expect((await Promise.all([open(a, p), open(b, p), open(a, q)])).map((r) => r.status)).toEqual([201, 201, 201]);
  });

  it("the schema refuses a free opening's entry that no claim names (the previous code during a deploy)", async () => {
    const player = await registerUser();
    const insert = env.DB.prepare("INSERT INTO ledger (id, user_id, delta, balance_after, account_version, reason, created_at) VALUES (?, ?, 0, 0, 1, 'open', ?)");
    await expect(insert.bind(crypto.randomUUID(), player.id, Date.now()).run()).rejects.toThrow(/free claim/);
  });
});

describe("GET /api/free-cases", () => {
  it("lists each active free case with the player's next free open: null before, the stored time + cooldown after", async () => {
    const box = await createCase(admin, freeCaseInput({ freeCooldownSeconds: 3_600 }));
    const player = await registerUser();
    const find = async () => {
      const res = await call("GET", "/api/free-cases", { token: player.token });
      expect(res.status).toBe(200);
      return { serverTime: res.body.serverTime as number, entry: res.body.cases.find((c: { caseId: string }) => c.caseId === box.id) };
    };
    expect((await find()).entry).toEqual({ caseId: box.id, slug: box.slug, cooldownSeconds: 3_600, lastOpenedAt: null, nextOpenAt: null });
    const opened = await open(box, player);
    const after = await find();
    const at = opened.body.items[0]!.createdAt;
    expect(after.entry).toMatchObject({ lastOpenedAt: at, nextOpenAt: at + 3_600_000 });
    expect(after.serverTime).toBeGreaterThanOrEqual(at);
    const paid = await createCase(admin);
    expect((await call("GET", "/api/free-cases", { token: player.token })).body.cases.map((c: { caseId: string }) => c.caseId)).not.toContain(paid.id);
  });

  it("is for players: 401 without a session", async () => {
    const res = await call("GET", "/api/free-cases");
    expect(res.status).toBe(401);
  });
});
