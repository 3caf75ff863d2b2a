import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, caseInput, createCase, registerAdmin, registerUser, type TestUser } from "../helpers";

let admin: TestUser;
let player: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
  player = await registerUser();
});

const sumPercent = (items: { chancePercent: string }[]) => items.reduce((s, i) => s + Math.round(Number(i.chancePercent) * 10_000), 0);

describe("admin case management", () => {
  it("creates a case with chances, expected value and RTP, and bumps the catalogue version", async () => {
    const before = await call("GET", "/api/cases");
    const res = await call("POST", "/api/admin/cases", { token: admin.token, body: caseInput({ name: "Creation" }) });
    expect(res.status).toBe(201);
    const created = res.body.case;
    expect(created).toMatchObject({ name: "Creation", price: 250, version: 1, active: true, totalWeight: 100, expectedValue: 57, rtpPercent: 22.8 });
    expect(created.items.map((i: { chancePercent: string }) => i.chancePercent)).toEqual(["1.0000", "60.0000", "39.0000"]);
    expect(res.body.catalogVersion).toBeGreaterThan(before.body.version);
  });

  it("updates a case: new version, items keep their ids, a revision snapshots the old weights", async () => {
    const created = await createCase(admin);
    const items = created.items.map((item, i) => ({ ...caseInput().items[i], id: item.id, weight: item.weight * 2 }));
    const res = await call("PUT", `/api/admin/cases/${created.id}`, {
      token: admin.token,
      body: caseInput({ slug: created.slug, price: 300, items: [...items, { name: "New", rarity: "covert", value: 1, kind: "skin", weight: 1 }] }),
    });
    expect(res.status).toBe(200);
    expect(res.body.case.version).toBe(2);
    expect(res.body.case.price).toBe(300);
    expect(res.body.case.items.slice(0, 3).map((i: { id: string }) => i.id)).toEqual(created.items.map((i) => i.id));
    const revisions = await env.DB.prepare("SELECT version, price FROM case_revisions WHERE case_id = ? ORDER BY version").bind(created.id).all();
    expect(revisions.results).toEqual([{ version: 1, price: 250 }, { version: 2, price: 300 }]);
  });

  it("deactivates and reactivates: hidden from the public while inactive, version bumped each time", async () => {
    const created = await createCase(admin);
    const off = await call("PATCH", `/api/admin/cases/${created.id}`, { token: admin.token, body: { active: false } });
    expect(off.status).toBe(200);
    expect(off.body.case).toMatchObject({ active: false, version: 2 });
    expect((await call("GET", `/api/cases/${created.slug}`)).status).toBe(404);
    expect((await call("GET", "/api/cases")).body.cases.map((c: { id: string }) => c.id)).not.toContain(created.id);
    const on = await call("PATCH", `/api/admin/cases/${created.id}`, { token: admin.token, body: { active: true } });
    expect(on.body.case).toMatchObject({ active: true, version: 3 });
    expect((await call("GET", `/api/cases/${created.slug}`)).status).toBe(200);
  });

  it("deletes a case but keeps its revisions for verifying past openings", async () => {
    const created = await createCase(admin);
    const res = await call("DELETE", `/api/admin/cases/${created.id}`, { token: admin.token });
    expect(res.status).toBe(204);
    expect((await call("GET", `/api/admin/cases/${created.id}`, { token: admin.token })).status).toBe(404);
    expect((await call("DELETE", `/api/admin/cases/${created.id}`, { token: admin.token })).status).toBe(404);
    const kept = await env.DB.prepare("SELECT COUNT(*) AS n FROM case_revisions WHERE case_id = ?").bind(created.id).first<{ n: number }>();
    expect(kept?.n).toBe(1);
  });

  it.each([
    ["no items", { items: [] }, "items"],
    ["a zero weight", { items: [{ name: "x", rarity: "consumer", value: 1, kind: "skin", weight: 0 }] }, "items.0.weight"],
    ["a fractional weight", { items: [{ name: "x", rarity: "consumer", value: 1, kind: "skin", weight: 1.5 }] }, "items.0.weight"],
    ["a negative value", { items: [{ name: "x", rarity: "consumer", value: -1, kind: "skin", weight: 1 }] }, "items.0.value"],
    ["a zero price", { price: 0 }, "price"],
    ["a float price", { price: 2.5 }, "price"],
    ["an unknown kind", { items: [{ name: "x", rarity: "consumer", value: 1, kind: "sticker", weight: 1 }] }, "items.0.kind"],
    ["a bad slug", { slug: "Not A Slug" }, "slug"],
    ["a javascript: image", { imageUrl: "javascript:alert(1)" }, "imageUrl"],
  ])("rejects %s with 400 pointing at the field and writes nothing", async (_label, overrides, path) => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM cases").first<{ n: number }>();
    const res = await call("POST", "/api/admin/cases", { token: admin.token, body: caseInput(overrides) });
    expect(res.status).toBe(400);
    expect(res.error?.issues?.map((i) => i.path)).toContain(path);
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM cases").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("saves the largest case allowed (100 items), on create and on update", async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ name: `Item ${i}`, imageUrl: "/img/skin.svg", rarity: "consumer", value: i, kind: "skin", weight: i + 1 }));
    const created = await call("POST", "/api/admin/cases", { token: admin.token, body: caseInput({ items }) });
    expect(created.status).toBe(201);
    expect(created.body.case.items).toHaveLength(100);
    expect(created.body.case.totalWeight).toBe(5050);
    const updated = await call("PUT", `/api/admin/cases/${created.body.case.id}`, {
      token: admin.token,
      body: caseInput({ slug: created.body.case.slug, items: created.body.case.items.map((it: { id: string }, i: number) => ({ ...items[i], id: it.id, weight: 1 })) }),
    });
    expect(updated.status).toBe(200);
    expect(updated.body.case.totalWeight).toBe(100);
    expect(updated.body.case.items.map((i: { id: string }) => i.id)).toEqual(created.body.case.items.map((i: { id: string }) => i.id));
    expect((await call("GET", "/api/admin/cases", { token: admin.token })).status).toBe(200);
  });

  it("refuses a slug shaped like a case id, so id-or-slug lookups stay unambiguous", async () => {
    const res = await call("POST", "/api/admin/cases", { token: admin.token, body: caseInput({ slug: crypto.randomUUID() }) });
    expect(res.status).toBe(400);
    expect(res.error?.issues?.[0]?.path).toBe("slug");
  });

  it("rejects a duplicate slug with 409, on create and on update", async () => {
    const first = await createCase(admin);
    const dup = await call("POST", "/api/admin/cases", { token: admin.token, body: caseInput({ slug: first.slug }) });
    expect(dup.status).toBe(409);
    expect(dup.error).toMatchObject({ code: "slug_taken", message: expect.stringContaining(first.slug) });
    const second = await createCase(admin);
    const clash = await call("PUT", `/api/admin/cases/${second.id}`, { token: admin.token, body: caseInput({ slug: first.slug }) });
    expect(clash.status).toBe(409);
    expect((await call("GET", `/api/admin/cases/${second.id}`, { token: admin.token })).body.case.version).toBe(1);
  });

  it("refuses players with 403 and anonymous callers with 401", async () => {
    const created = await createCase(admin);
    for (const [method, path, body] of [
      ["GET", "/api/admin/cases", undefined],
      ["POST", "/api/admin/cases", caseInput()],
      ["PUT", `/api/admin/cases/${created.id}`, caseInput()],
      ["PATCH", `/api/admin/cases/${created.id}`, { active: false }],
      ["DELETE", `/api/admin/cases/${created.id}`, undefined],
    ] as const) {
      expect((await call(method, path, { token: player.token, body })).status).toBe(403);
      expect((await call(method, path, { body })).status).toBe(401);
    }
    expect((await call("GET", `/api/admin/cases/${created.id}`, { token: admin.token })).body.case).toMatchObject({ version: 1, active: true });
  });

  it("answers 404 for an unknown case on every admin route", async () => {
    const id = crypto.randomUUID();
    expect((await call("GET", `/api/admin/cases/${id}`, { token: admin.token })).status).toBe(404);
    expect((await call("PUT", `/api/admin/cases/${id}`, { token: admin.token, body: caseInput() })).status).toBe(404);
    expect((await call("PATCH", `/api/admin/cases/${id}`, { token: admin.token, body: { active: true } })).status).toBe(404);
  });
});

describe("public catalogue", () => {
  it("lists active cases with the catalogue version and the currency", async () => {
    const created = await createCase(admin);
    const res = await call("GET", "/api/cases");
    expect(res.status).toBe(200);
    expect(res.body.currency).toBe("EUR");
    expect(res.body.cases).toContainEqual({ id: created.id, slug: created.slug, name: "Test Case", imageUrl: null, price: 250, free: false, freeCooldownSeconds: null, version: 1 });
  });

  it("shows one case by slug or id with every item's chance adding up to 100%", async () => {
    const created = await createCase(admin, {
      items: [7, 13, 17].map((weight, i) => ({ name: `Item ${i}`, rarity: "consumer", value: 10, kind: "skin", weight })),
    });
    const bySlug = await call("GET", `/api/cases/${created.slug}`);
    const byId = await call("GET", `/api/cases/${created.id}`);
    expect(bySlug.status).toBe(200);
    expect(byId.body).toEqual(bySlug.body);
    expect(bySlug.body.case.totalWeight).toBe(37);
    expect(sumPercent(bySlug.body.case.items)).toBe(1_000_000);
    expect(bySlug.body.case).not.toHaveProperty("expectedValue");
  });

  it("answers 404 for unknown cases and 400 for malformed references", async () => {
    expect((await call("GET", "/api/cases/does-not-exist")).status).toBe(404);
    expect((await call("GET", "/api/cases/bad%20ref")).status).toBe(400);
  });
});
