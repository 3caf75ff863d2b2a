import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRealtime, type Realtime, type ResyncInfo } from "../../../src/client/index";
import type { InventoryItem } from "../../../src/features/inventory/schemas";
import { HUB_DEADLINE_MS } from "../../../src/realtime/publish";
import { AUDIT_MS, CONNECT_AUDIT_BOUND_MS } from "../../../src/realtime/audit";
import { broadcaster, lobbyShard, userHub } from "../../../src/realtime/stubs";
import { callWith } from "../../faults";
import { call, createCase, credit, registerAdmin, registerUser, ORIGIN, type TestUser } from "../../helpers";
import { workerSockets } from "../realtime/sdk-socket";
import { eventually } from "../realtime/sockets";

// The hub or the broadcaster fails while a committed change is being published. The request must
// still succeed, and the SDK must notice by itself that it missed the change (the account or
// catalogue version skips one, in the next event or in the welcome after a reconnect) and say
// `resync`, so that an app that refetches then shows the truth: no balance stays wrong on screen.

/** The SDK's wait for a skipped version before it calls it lost (DEFAULT_TUNING.gapGraceMs is 3 s). */
const GRACE_MS = 200;

const fault = () => Promise.reject(new Error("Network connection lost."));
const hang = () => new Promise<never>(() => {});

/** A namespace whose every object is `stub`; ids still come from the real namespace. */
function namespaceOf<K extends "BROADCASTER" | "USER_HUB">(binding: K, stub: object): Env[K] {
  return { idFromName: (name: string) => env[binding].idFromName(name), get: () => stub } as unknown as Env[K];
}

/** What a page built on the SDK shows: events applied by version, and a refetch on `resync`. */
interface Screen {
  balance: number | null;
  version: number;
  items: Map<string, InventoryItem>;
  catalogVersion: number;
  resyncs: ResyncInfo[];
  refetches: number;
}

const clients: Realtime[] = [];
afterEach(() => {
  for (const rt of clients.splice(0)) rt.close();
});

function page(player: TestUser | null): { rt: Realtime; screen: Screen } {
  const sockets = workerSockets(() => player?.token ?? null);
  const rt = createRealtime({
    baseUrl: ORIGIN,
    ...(player ? { auth: { kind: "cookie" as const } } : {}),
    WebSocket: sockets.WebSocket,
    tuning: { minDelayMs: 20, maxDelayMs: 100, heartbeatMs: 60_000, gapGraceMs: GRACE_MS },
  });
  clients.push(rt);
  const screen: Screen = { balance: null, version: -1, items: new Map(), catalogVersion: 0, resyncs: [], refetches: 0 };
  const refetch = async (channel: ResyncInfo["channel"]) => {
    if (channel === "lobby") {
      screen.catalogVersion = (await call("GET", "/api/cases")).body.version;
      screen.refetches++;
      return;
    }
    if (!player) return;
    const me = await call("GET", "/api/auth/me", { token: player.token });
    const inventory = await call("GET", "/api/inventory?limit=100", { token: player.token });
    screen.balance = me.body.user.balance;
    screen.version = me.body.user.version;
    screen.items = new Map((inventory.body.items as InventoryItem[]).map((item) => [item.id, item]));
    screen.refetches++;
  };
  rt.on("balance:updated", (e) => {
    if (e.version > screen.version) Object.assign(screen, { balance: e.balance, version: e.version });
  });
  rt.on("inventory:updated", (e) => {
    for (const item of e.added ?? []) screen.items.set(item.id, item);
    for (const id of e.removed ?? []) screen.items.delete(id);
  });
  rt.on("cases:updated", (e) => void (screen.catalogVersion = Math.max(screen.catalogVersion, e.version)));
  rt.on("resync", (info) => {
    screen.resyncs.push(info);
    void refetch(info.channel);
  });
  return { rt, screen };
}

let admin: TestUser;
let skinCase: { id: string };

beforeAll(async () => {
  admin = await registerAdmin();
  skinCase = await createCase(admin, { price: 100, items: [{ name: "AK-47 | Redline", rarity: "classified", value: 75, kind: "skin", weight: 1 }] });
});

/** A player whose page is open and has applied one event, so the SDK knows the account version. */
async function playerOnline() {
  const player = await registerUser();
  const { rt, screen } = page(player);
  await eventually(async () => rt.sockets.user, (state) => state === "open");
  await credit(admin, player.id, 1_000);
  await eventually(async () => screen.balance, (balance) => balance === 1_000);
  return { player, rt, screen };
}

async function truth(player: TestUser) {
  const me = await call("GET", "/api/auth/me", { token: player.token });
  const inventory = await call("GET", "/api/inventory?limit=100", { token: player.token });
  return { balance: me.body.user.balance as number, itemIds: (inventory.body.items as InventoryItem[]).map((i) => i.id).sort() };
}

const shown = (screen: Screen) => ({ balance: screen.balance, itemIds: [...screen.items.keys()].sort() });

/**
 * The player's connection drops (a deploy, a network change) and the SDK comes back with its resume
 * credential, which reads nothing from D1; the hub's audit follows within CONNECT_AUDIT_BOUND_MS,
 * run here at once so a loaded machine cannot stretch the test.
 */
async function dropAndResume(userId: string): Promise<void> {
  await runInDurableObject(userHub(env, userId), (_hub, state: DurableObjectState) => {
    for (const ws of state.getWebSockets()) ws.close(1012, "restarting");
  });
  await eventually(
    async () => runInDurableObject(userHub(env, userId), (_hub, state: DurableObjectState) => state.getWebSockets().length),
    (n) => n === 1,
  );
  await auditNow(userHub(env, userId), CONNECT_AUDIT_BOUND_MS);
}

describe("a publish to the user's hub fails after the change committed", () => {
  it("the request succeeds, and the next event's version shows the SDK the lost change: it resyncs and the page is right", async () => {
    const { player, screen } = await playerOnline();
    const lost = await callWith({ USER_HUB: namespaceOf("USER_HUB", { publish: fault }) }, "POST", `/api/cases/${skinCase.id}/open`, {
      token: player.token,
      body: { count: 2 },
    });
    expect(lost.status).toBe(201);
    expect(screen.items.size).toBe(0);

    await credit(admin, player.id, 50);
    await eventually(async () => screen.refetches, (n) => n >= 1);
    expect(screen.resyncs).toEqual([{ channel: "user", reason: "version_gap" }]);
    await eventually(async () => shown(screen), (s) => s.itemIds.length === 2);
    expect(shown(screen)).toEqual(await truth(player));
  });

  it("a hub that never answers holds the request at most its deadline, and the SDK finds the lost change at its next connect", async () => {
    const { player, screen } = await playerOnline();
    const started = Date.now();
    const lost = await callWith({ USER_HUB: namespaceOf("USER_HUB", { publish: hang }) }, "POST", `/api/admin/users/${player.id}/balance`, {
      token: admin.token,
      body: { amount: 250, reason: "goodwill" },
    });
    expect(lost.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(HUB_DEADLINE_MS + 2_000);
    expect(screen.balance).toBe(1_000);

    // Nothing else happens to the account; then the connection drops (a deploy, a network change).
    await dropAndResume(player.id);
    await eventually(async () => screen.refetches, (n) => n >= 1);
    expect(screen.resyncs).toEqual([{ channel: "user", reason: "version_gap" }]);
    expect(shown(screen)).toEqual(await truth(player));
    expect(screen.balance).toBe(1_250);
  });

  it("the keyed retry of a request whose publish was lost publishes again, and the app sees that change once", async () => {
    const { player, screen, rt } = await playerOnline();
    const seen: number[] = [];
    rt.on("inventory:updated", (e) => seen.push(e.version));
    const send = (bindings: Partial<Env>) =>
      callWith(bindings, "POST", `/api/cases/${skinCase.id}/open`, { token: player.token, body: { count: 1 }, headers: { "idempotency-key": "lost-publish-retry-1" } });
    const lost = await send({ USER_HUB: namespaceOf("USER_HUB", { publish: fault }) });
    expect(lost.status).toBe(201);
    // The client lost the answer too, and sends the same request again (twice).
    for (let i = 0; i < 2; i++) expect((await send({})).headers.get("idempotent-replayed")).toBe("true");
    await eventually(async () => screen.items.size, (n) => n === 1);
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS * 3));
    expect(seen).toEqual([lost.body.version]);
    expect(screen.resyncs).toEqual([]);
    expect(shown(screen)).toEqual(await truth(player));
  });

  it("publishes of two changes that arrive out of order are not a lost change", async () => {
    const { player, screen } = await playerOnline();
    const v = screen.version;
    const credited = (version: number) => ({ event: "balance:updated" as const, data: { balance: version, delta: 1, reason: "admin_credit" as const, version } });
    await userHub(env, player.id).publish([credited(v + 2)]);
    await userHub(env, player.id).publish([credited(v + 1)]);
    await eventually(async () => screen.version, (version) => version === v + 2);
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS * 3));
    expect(screen.resyncs).toEqual([]);
  });

  it("a reconnect with nothing lost is not a resync", async () => {
    const { player, screen } = await playerOnline();
    await credit(admin, player.id, 10);
    await eventually(async () => screen.balance, (b) => b === 1_010);
    await runInDurableObject(userHub(env, player.id), (_hub, state: DurableObjectState) => {
      for (const ws of state.getWebSockets()) ws.close(1012, "restarting");
    });
    await eventually(
      async () => runInDurableObject(userHub(env, player.id), (_hub, state: DurableObjectState) => state.getWebSockets().length),
      (n) => n === 1,
    );
    await credit(admin, player.id, 5);
    await eventually(async () => screen.balance, (b) => b === 1_015);
    expect(screen.resyncs).toEqual([]);
  });
});

describe("a publish to the broadcaster fails after a catalogue change committed", () => {
  it("the admin's request succeeds, and the next catalogue event's version shows the lobby client the lost change", async () => {
    const { rt, screen } = page(null);
    await eventually(async () => rt.sockets.lobby, (state) => state === "open");
    const patch = (active: boolean, bindings: Partial<Env> = {}) =>
      callWith(bindings, "PATCH", `/api/admin/cases/${skinCase.id}`, { token: admin.token, body: { active } });
    const first = await patch(true);
    expect(first.status).toBe(200);
    await eventually(async () => screen.catalogVersion, (v) => v === first.body.catalogVersion);

    const lost = await patch(false, { BROADCASTER: namespaceOf("BROADCASTER", { publish: fault }) });
    expect(lost.status).toBe(200);
    const next = await patch(true);
    await eventually(async () => screen.catalogVersion, (v) => v === next.body.catalogVersion);
    expect(next.body.catalogVersion).toBe(first.body.catalogVersion + 2);
    await eventually(async () => screen.resyncs.length, (n) => n > 0);
    expect(screen.resyncs).toEqual([{ channel: "lobby", reason: "version_gap" }]);
    expect(rt.state).toBe("open");
  });
});

// A crash between the commit and the publish: the change is in D1 and no hub or shard ever hears of
// it, so no seq is missing and, when nothing else happens to the account or the catalogue, no later
// event shows a skipped version either. The objects' audits (src/realtime/audit.ts) read D1 while
// they hold sockets (at most AUDIT_MS apart) and tell the clients the version; the SDK resyncs after
// its grace. Each way the publish can go wrong: it throws, it never answers, it never happens.
const LOST: Record<string, object> = { throws: { publish: fault }, "never answers": { publish: hang }, "never happens": { publish: async () => {} } };

/** The audit is scheduled within `boundMs`, then run now (the test does not wait the 30 s). */
/** The lobby shards holding open sockets, once they hold `sockets` of them (asked of the shards, not the broadcaster's counts, which settle later). */
async function shardsHolding(sockets: number): Promise<number[]> {
  const held = async () => {
    const { sockets: directory } = await broadcaster(env).directory();
    const counts = await Promise.all(
      directory.map((_, shard) =>
        runInDurableObject(lobbyShard(env, shard), (_s, state: DurableObjectState) => state.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).length),
      ),
    );
    return counts.flatMap((count, shard) => (count > 0 ? [{ shard, count }] : []));
  };
  const shards = await eventually(held, (list) => list.reduce((a, s) => a + s.count, 0) >= sockets);
  return shards.map((s) => s.shard);
}

async function auditNow(stub: DurableObjectStub, boundMs = AUDIT_MS): Promise<void> {
  // A connect sets it in the background, after its presence report.
  const due = await eventually(
    () => runInDurableObject(stub, (_o, state: DurableObjectState) => state.storage.getAlarm()),
    (alarm) => alarm !== null,
  );
  const at = Date.now();
  // Or the audit has already run by itself (it was due within the spread) and set the next one.
  const ranAlready = boundMs < AUDIT_MS && (due as number) > at + AUDIT_MS - 5_000;
  expect((due as number) <= at + boundMs || ranAlready).toBe(true);
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

describe("a change committed just before a crash, then nothing: the audit brings it to every screen", () => {
  for (const [how, hub] of Object.entries(LOST)) {
    it(`an opening's items and balance, when the publish ${how}, on both of the player's screens`, async () => {
      const { player, screen } = await playerOnline();
      const second = page(player);
      await eventually(async () => second.rt.sockets.user, (state) => state === "open");
      const lost = await callWith({ USER_HUB: namespaceOf("USER_HUB", hub) }, "POST", `/api/cases/${skinCase.id}/open`, { token: player.token, body: { count: 2 } });
      expect(lost.status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, GRACE_MS * 2));
      // Nothing told either screen: the `added` items are not there.
      expect(screen.items.size).toBe(0);
      expect(second.screen.items.size).toBe(0);

      await auditNow(userHub(env, player.id));
      for (const s of [screen, second.screen]) {
        await eventually(async () => shown(s), (v) => v.itemIds.length === 2);
        expect(s.resyncs).toEqual([{ channel: "user", reason: "version_gap" }]);
        expect(shown(s)).toEqual(await truth(player));
      }
    });
  }

  it("after a restart too: the clients come back with resume credentials and the audit that follows finds the change", async () => {
    const { player, screen } = await playerOnline();
    const lost = await callWith({ USER_HUB: namespaceOf("USER_HUB", LOST["never happens"] as object) }, "POST", `/api/admin/users/${player.id}/balance`, {
      token: admin.token,
      body: { amount: 40, reason: "goodwill" },
    });
    expect(lost.status).toBe(201);
    await dropAndResume(player.id);
    await eventually(async () => screen.balance, (b) => b === 1_040);
    expect(shown(screen)).toEqual(await truth(player));
  });

  // The lobby's publish runs in waitUntil, which the runtime ends after 30 s: one that never answers
  // ends like one that never happens (and would hold this test's waitOnExecutionContext forever).
  for (const [how, broadcasterStub] of Object.entries(LOST).filter(([how]) => how !== "never answers")) {
    it(`a catalogue change, when its cases:updated ${how}, on every lobby screen`, async () => {
      const screens = [page(null), page(null), page(await registerUser())];
      for (const { rt } of screens) await eventually(async () => rt.sockets.lobby, (state) => state === "open");
      // The shards the screens were placed on (the last test's may still count as full for a moment).
      const shards = await shardsHolding(screens.length);
      // The audit the connects asked for (within the spread) runs now, so the next one is 30 s away.
      for (const shard of shards) await auditNow(lobbyShard(env, shard), CONNECT_AUDIT_BOUND_MS);
      const before = (await call("GET", "/api/cases")).body.version as number;
      for (const { screen } of screens) screen.catalogVersion = before;
      const lost = await callWith({ BROADCASTER: namespaceOf("BROADCASTER", broadcasterStub) }, "PATCH", `/api/admin/cases/${skinCase.id}`, {
        token: admin.token,
        body: { active: true },
      });
      expect(lost.status).toBe(200);
      expect(lost.body.catalogVersion).toBe(before + 1);
      await new Promise((resolve) => setTimeout(resolve, GRACE_MS * 2));
      for (const { screen } of screens) expect(screen.catalogVersion).toBe(before);

      for (const shard of shards) await auditNow(lobbyShard(env, shard));
      for (const { screen } of screens) {
        await eventually(async () => screen.catalogVersion, (v) => v === before + 1);
        expect(screen.resyncs).toContainEqual({ channel: "lobby", reason: "version_gap" });
      }
    });
  }
});
