import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CASES, ensureUser } from "../../scripts/lib/seed-demo.mjs";
import { allOpen, api, client, closeClients, eventually, outageProxy, rawSockets, startDevServer, startServer, type DevServer } from "./harness";

// One real `wrangler dev` for the file, driven over HTTP and through the SDK from Node, as a
// player's second device or a bot would. The last test restarts it on the same state folder.
let ctx: Awaited<ReturnType<typeof startServer>>;
let server: DevServer;
let url: string;
let admin: string;
let player: { token: string; id: string };
let other: { token: string; id: string };
let starterId: string;

beforeAll(async () => {
  ctx = await startServer();
  server = ctx.server;
  url = server.url;
  admin = ctx.demo.admin.token;
  player = { token: ctx.demo.player.token, id: ctx.demo.player.user.id };
  const second = await ensureUser(url, { email: "other@cyberhub.local", password: "other-demo-password", displayName: "Other Player" });
  other = { token: second.token, id: second.user.id };
  const cases = await api<{ cases: { id: string; slug: string }[] }>(url, "GET", "/api/cases");
  const starter = cases.body.cases.find((c) => c.slug === "starter");
  if (!starter) throw new Error("demo data has no starter case");
  starterId = starter.id;
});

afterEach(closeClients);

afterAll(async () => {
  closeClients();
  await server?.stop();
  await ctx?.cleanup();
});

describe("realtime end to end (wrangler dev + SDK in Node)", () => {
  it("every lobby client gets cases:updated when an admin saves a case", async () => {
    const lobby = [client(url), client(url, { kind: "token", token: player.token }), client(url, { kind: "token", token: other.token })];
    await eventually("all clients open", allOpen(...lobby));
    expect(lobby[0]?.rt.sockets).toEqual({ user: null, lobby: "open", battles: {} });
    expect(lobby[1]?.rt.sockets).toEqual({ user: "open", lobby: "open", battles: {} });
    // Hubs and shards report their counts to the broadcaster; /health reads them from there.
    let health: { websocket?: string; clients?: number; players?: number } = {};
    await eventually("/health counting the two players and five sockets", async () => {
      health = (await api<typeof health>(url, "GET", "/health")).body;
      return health.players === 2 && health.clients === 5;
    });
    expect(health.websocket).toBe("active");

    const template = DEMO_CASES[0];
    if (!template) throw new Error("no demo case");
    const created = await api<{ case: { id: string }; catalogVersion: number }>(url, "POST", "/api/admin/cases", {
      token: admin,
      body: { ...template, name: "E2E Case", slug: `e2e-${Date.now()}` },
    });
    expect(created.status).toBe(201);
    for (const c of lobby) {
      await eventually("cases:updated on every lobby client", () => c.seen["cases:updated"].some((e) => e.caseId === created.body.case.id));
    }
    for (const c of lobby) {
      expect(c.seen["cases:updated"].find((e) => e.caseId === created.body.case.id)).toEqual({
        caseId: created.body.case.id,
        action: "created",
        version: created.body.catalogVersion,
      });
    }
  });

  it("a player's two clients get inventory and balance after an opening; another player's client gets nothing private", async () => {
    const tab = client(url, { kind: "token", token: player.token });
    const phone = client(url, { kind: "token", token: player.token });
    const stranger = client(url, { kind: "token", token: other.token });
    await eventually("clients open", allOpen(tab, phone, stranger));

    const opened = await api<{ balance: number; version: number; items: { id: string }[] }>(url, "POST", `/api/cases/${starterId}/open`, {
      token: player.token,
      body: { count: 1 },
    });
    expect(opened.status).toBe(201);
    for (const c of [tab, phone]) {
      await eventually("balance and inventory on both of the player's clients", () => c.seen["balance:updated"].length > 0 && c.seen["inventory:updated"].length > 0);
      expect(c.seen["balance:updated"]).toEqual([{ balance: opened.body.balance, delta: expect.any(Number), reason: "open", version: opened.body.version }]);
      expect(c.seen["inventory:updated"][0]?.added?.map((i) => i.id)).toEqual(opened.body.items.map((i) => i.id));
    }
    // The public drop reaches everyone, including the stranger (once the opener's reel has stopped).
    const won = opened.body.items[0]?.id;
    await eventually("drop on the stranger's lobby socket", () => stranger.seen["drops:new"].some((d) => d.id === won));

    // Then something of the stranger's own: it arrives, and it is the only private event they saw.
    const credited = await api<{ balance: number }>(url, "POST", `/api/admin/users/${other.id}/balance`, {
      token: admin,
      body: { amount: 123, reason: "e2e" },
    });
    expect(credited.status).toBe(201);
    await eventually("the stranger's own credit", () => stranger.seen["balance:updated"].length > 0);
    expect(stranger.seen["balance:updated"]).toEqual([expect.objectContaining({ delta: 123, reason: "admin_credit" })]);
    expect(stranger.seen["inventory:updated"]).toEqual([]);
  });

  it("the SDK under Node does not ask for permessage-deflate (wrangler dev would grant it)", async () => {
    const from = rawSockets.length;
    const c = client(url, { kind: "token", token: player.token });
    await eventually("both sockets open", allOpen(c));
    const opened = rawSockets.slice(from);
    expect(opened).toHaveLength(2);
    for (const ws of opened) expect(ws.extensions).toBe("");
  });

  it("a connection that stops answering pings is dropped and reopened", async () => {
    const proxy = await outageProxy(server.port);
    try {
      const tab = client(proxy.url, { kind: "token", token: player.token });
      await eventually("client open", allOpen(tab));
      const states: string[] = [];
      tab.rt.onStateChange((state) => states.push(state));
      // TCP stays up, so only the heartbeat can notice that nothing comes back.
      proxy.blackhole();
      await eventually("the SDK declaring the silent socket dead", () => states.includes("reconnecting") || states.includes("offline"));
      await eventually("a fresh connection", allOpen(tab));
      const credited = await api(url, "POST", `/api/admin/users/${player.id}/balance`, { token: admin, body: { amount: 1, reason: "e2e heartbeat" } });
      expect(credited.status).toBe(201);
      await eventually("events flowing on the new socket", () => tab.seen["balance:updated"].some((e) => e.delta === 1));
    } finally {
      closeClients();
      await proxy.close();
    }
  });

  it("clients reconnect by themselves after wrangler dev restarts and miss nothing published meanwhile", async () => {
    // The clients reach the server through a proxy that stays shut until the test has published,
    // so the events below are certainly published while the clients are away.
    const proxy = await outageProxy(server.port);
    try {
      const tab = client(proxy.url, { kind: "token", token: player.token });
      const visitor = client(proxy.url);
      await eventually("clients open", allOpen(tab, visitor));
      const states: string[] = [];
      tab.rt.onStateChange((state) => states.push(state));

      proxy.down();
      await server.stop();
      await eventually("the SDK noticing the outage", () => tab.rt.state !== "open" && visitor.rt.state !== "open");
      server = await startDevServer({ stateDir: ctx.stateDir, port: server.port });

      const opened = await api<{ balance: number; version: number }>(url, "POST", `/api/cases/${starterId}/open`, { token: player.token, body: { count: 2 } });
      expect(opened.status).toBe(201);
      const credited = await api<{ balance: number }>(url, "POST", `/api/admin/users/${player.id}/balance`, { token: admin, body: { amount: 250, reason: "e2e" } });
      expect(credited.status).toBe(201);
      const created = await api<{ case: { id: string }; catalogVersion: number }>(url, "POST", "/api/admin/cases", {
        token: admin,
        body: { ...DEMO_CASES[1], name: "After restart", slug: `after-restart-${Date.now()}` },
      });
      expect(created.status).toBe(201);
      const me = await api<{ user: { balance: number; version: number } }>(url, "GET", "/api/auth/me", { token: player.token });
      expect(tab.seen["balance:updated"].some((e) => e.version >= opened.body.version)).toBe(false);

      proxy.up();
      await eventually("clients back open by themselves", allOpen(tab, visitor), 60_000);
      expect(states.at(-1)).toBe("open");
      await eventually("the player's balance caught up", () => tab.seen["balance:updated"].at(-1)?.version === me.body.user.version);
      expect(tab.seen.resync).toEqual([]);
      const missed = tab.seen["balance:updated"].filter((e) => e.version >= opened.body.version);
      expect(missed).toEqual([
        { balance: opened.body.balance, delta: expect.any(Number), reason: "open", version: opened.body.version },
        { balance: me.body.user.balance, delta: 250, reason: "admin_credit", version: me.body.user.version },
      ]);
      expect(tab.seen["inventory:updated"].filter((e) => e.version === opened.body.version)).toHaveLength(1);

      await eventually("the visitor got the case created while away", () => visitor.seen["cases:updated"].some((e) => e.caseId === created.body.case.id));
      expect(visitor.seen.resync).toEqual([]);
      expect(visitor.seen["cases:updated"].at(-1)).toMatchObject({ version: created.body.catalogVersion, action: "created" });
    } finally {
      closeClients();
      await proxy.close();
    }
  });
});
