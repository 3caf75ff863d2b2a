import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureUser } from "../../scripts/lib/seed-demo.mjs";
import { api, client, closeClients, eventually, startDevServer, startServer, type DevServer, type RecordingClient } from "./harness";

// Issue #16, end to end: a change commits, the runtime dies before its publish, and every connected
// screen still ends with what D1 holds. The crash is made certain, not raced: the server runs
// test/entries/publish-never.ts (the product, except that a request with `x-e2e-publish: never`
// commits and then its publishes never answer); the test sees the commit in D1 over the API,
// SIGKILLs the runtime while the publishes hang, and starts a new one on the same state. Nothing of
// those changes ever reached a hub or a shard: what brings them to the screens is the objects'
// audits after the clients come back (with their resume credentials), and the SDK's resync.
const ENTRY = "test/entries/publish-never.ts";
const NEVER = { "x-e2e-publish": "never" };
/** CONNECT_AUDIT_BOUND_MS (12 s) + the SDK's gapGraceMs (3 s) + the reconnect itself and slack for a loaded machine. */
const BOUND_MS = 25_000;

let ctx: Awaited<ReturnType<typeof startServer>>;
let server: DevServer;

interface Screen {
  balance: number;
  version: number;
  items: Set<string>;
  catalogVersion: number;
}

/** A page on the SDK: applies events, refetches on resync (what the README asks of an app). */
function page(baseUrl: string, token: string): { c: RecordingClient; screen: Screen; ready: Promise<void> } {
  const c = client(baseUrl, { kind: "token", token });
  const screen: Screen = { balance: -1, version: -1, items: new Set(), catalogVersion: 0 };
  const refetchUser = async () => {
    const me = await api<{ user: { balance: number; version: number } }>(baseUrl, "GET", "/api/auth/me", { token });
    const inv = await api<{ items: { id: string }[] }>(baseUrl, "GET", "/api/inventory?limit=100", { token });
    Object.assign(screen, { balance: me.body.user.balance, version: me.body.user.version, items: new Set(inv.body.items.map((i) => i.id)) });
  };
  const refetchCatalog = async () => {
    screen.catalogVersion = (await api<{ version: number }>(baseUrl, "GET", "/api/cases")).body.version;
  };
  c.rt.on("balance:updated", (e) => {
    if (e.version > screen.version) Object.assign(screen, { balance: e.balance, version: e.version });
  });
  c.rt.on("inventory:updated", (e) => {
    for (const item of e.added ?? []) screen.items.add(item.id);
    for (const id of e.removed ?? []) screen.items.delete(id);
  });
  c.rt.on("cases:updated", (e) => void (screen.catalogVersion = Math.max(screen.catalogVersion, e.version)));
  // A refetch that fails (the runtime just restarted, the machine is loaded) is tried again, as an app would.
  const retried = async (refetch: () => Promise<void>) => {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        return await refetch();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  c.rt.on("resync", (info) => void retried(info.channel === "user" ? refetchUser : refetchCatalog));
  return { c, screen, ready: Promise.all([refetchUser(), refetchCatalog()]).then(() => undefined) };
}

beforeAll(async () => {
  ctx = await startServer({ script: ENTRY });
  server = ctx.server;
});

afterEach(closeClients);

afterAll(async () => {
  closeClients();
  await server?.stop();
  await ctx?.cleanup();
});

describe("a change committed just before the runtime dies (wrangler dev, SIGKILL between commit and publish)", () => {
  it("reaches every connected screen after the restart: balance, inventory with its added items, catalogue", async () => {
    const url = server.url;
    const admin = ctx.demo.admin.token;
    const players = [
      { token: ctx.demo.player.token, id: ctx.demo.player.user.id },
      await ensureUser(url, { email: "crash-2@cyberhub.local", password: "crash-demo-password", displayName: "Crash Two" }).then((u) => ({ token: u.token, id: u.user.id })),
    ];
    const cases = await api<{ version: number; cases: { id: string; slug: string; price: number }[] }>(url, "GET", "/api/cases");
    const starter = cases.body.cases.find((c) => c.slug === "starter");
    if (!starter) throw new Error("demo data has no starter case");
    // Two screens for the first player, one for the second.
    const pages = [page(url, players[0]!.token), page(url, players[0]!.token), page(url, players[1]!.token)];
    for (const p of pages) await p.ready;
    await eventually("every screen open", () => pages.every((p) => p.c.rt.state === "open"));
    // One event each, so every SDK knows where its account stands before the crash.
    for (const p of players) expect((await api(url, "POST", `/api/admin/users/${p.id}/balance`, { token: admin, body: { amount: 1_000, reason: "e2e" } })).status).toBe(201);
    await eventually("the credit on every screen", () => pages.every((p) => p.c.seen["balance:updated"].length >= 1));

    // The changes that commit and are never published. The credit's response comes after the
    // hub deadline (1 s); the opening's the same; the catalogue's publish hangs in waitUntil.
    const credit = await api(url, "POST", `/api/admin/users/${players[1]!.id}/balance`, { token: admin, body: { amount: 777, reason: "before the crash" }, headers: NEVER });
    expect(credit.status).toBe(201);
    const opened = await api<{ version: number }>(url, "POST", `/api/cases/${starter.id}/open`, { token: players[0]!.token, body: { count: 2 }, headers: NEVER });
    expect(opened.status).toBe(201);
    const edit = await api<{ catalogVersion: number }>(url, "PATCH", `/api/admin/cases/${starter.id}`, { token: admin, body: { active: true }, headers: NEVER });
    expect(edit.status).toBe(200);
    // Committed (D1 says so), and no screen has been told.
    const truth = async (token: string) => {
      const me = await api<{ user: { balance: number; version: number } }>(url, "GET", "/api/auth/me", { token });
      const inv = await api<{ items: { id: string }[] }>(url, "GET", "/api/inventory?limit=100", { token });
      return { balance: me.body.user.balance, items: inv.body.items.map((i) => i.id).sort() };
    };
    const expected = [await truth(players[0]!.token), await truth(players[0]!.token), await truth(players[1]!.token)];
    const catalogVersion = (await api<{ version: number }>(url, "GET", "/api/cases")).body.version;
    expect(catalogVersion).toBe(edit.body.catalogVersion);
    const shown = (s: Screen) => ({ balance: s.balance, items: [...s.items].sort() });
    for (const [i, p] of pages.entries()) expect(shown(p.screen)).not.toEqual(expected[i]);
    for (const p of pages) expect(p.screen.catalogVersion).toBeLessThan(catalogVersion);

    // The crash, while those publishes hang; then a new runtime on the same state and port.
    await server.kill();
    const restartedAt = Date.now();
    server = await startDevServer({ stateDir: ctx.stateDir, port: server.port, script: ENTRY });
    const servingAt = Date.now();

    await eventually(
      "every screen shows what D1 holds",
      () => pages.every((p, i) => JSON.stringify(shown(p.screen)) === JSON.stringify(expected[i]) && p.screen.catalogVersion === catalogVersion),
      BOUND_MS + 30_000,
    );
    const tookMs = Date.now() - servingAt;
    console.log(`e2e crash: restart took ${servingAt - restartedAt} ms; every screen right ${tookMs} ms after the new runtime served`);
    expect(tookMs).toBeLessThan(BOUND_MS);
    // Found by the audits: a version the events never brought (no seq was missing anywhere).
    for (const p of pages) {
      expect(p.c.seen.resync).toContainEqual({ channel: "user", reason: "version_gap" });
      expect(p.c.seen.resync).toContainEqual({ channel: "lobby", reason: "version_gap" });
    }
  });
});
