import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { Broadcaster, LOBBY_FRAME_WINDOW_MS, MAX_DROPS_PER_FRAME } from "../../../src/realtime/broadcaster";
import { RECENT_DROPS } from "../../../src/realtime/held-drops";
import { CONNECT_AUDIT_AFTER_MS, CONNECT_AUDIT_BOUND_MS } from "../../../src/realtime/audit";
import { PRESENCE_SETTLE_MS } from "../../../src/realtime/presence";
import { REVEAL_GRACE_MS, revealMs } from "../../../src/realtime/reveal";
import type { Drop, PublicEvent } from "../../../src/realtime/events";
import { CATALOG_LOG_LIMIT, type LobbyShard } from "../../../src/realtime/lobby-shard";
import { broadcaster, lobbyShard } from "../../../src/realtime/stubs";
import { call, createCase, credit, registerAdmin, registerUser } from "../../helpers";
import {
  closeAll,
  connect,
  connectShard,
  connectLines,
  connectUser,
  eventually,
  isLobbyEvents,
  isLobbyWelcome,
  isResync,
  isUserWelcome,
  settle,
  type TestSocket,
} from "./sockets";
import { countAlarmReads, rowsWrittenBy } from "./storage";

afterEach(closeAll);

const drop = (n: number): Drop => ({
  id: `drop-${n}`,
  caseId: "case-1",
  item: { id: `item-${n}`, name: `Item ${n}`, imageUrl: null, rarity: "consumer", value: n, kind: "skin" },
  userDisplayName: "Someone",
  at: n,
});

/** Where a socket's live frames start: after its connect's catch-up and welcome. */
const liveFrom = (socket: TestSocket) => socket.frames.findIndex(isLobbyWelcome) + 1;
/** Drops the socket received live (the connect's catch-up of recent drops left out). */
const dropsIn = (socket: TestSocket) =>
  socket.frames
    .slice(liveFrom(socket))
    .filter(isLobbyEvents)
    .flatMap((f) => f.events.filter((e): e is Extract<PublicEvent, { event: "drops:new" }> => e.event === "drops:new"));
const hasCases = (f: TestSocket["frames"][number]) => isLobbyEvents(f) && f.events.some((e) => e.event === "cases:updated");
const hasDrops = (f: TestSocket["frames"][number]) => isLobbyEvents(f) && f.events.some((e) => e.event === "drops:new");

describe("lobby shards", () => {
  it("take their index from their name: a connect writes nothing to the shard's storage, and its count is reported under that index", async () => {
    const index = 9;
    const stub = lobbyShard(env, index);
    const sql = await runInDurableObject(stub, (_shard: LobbyShard, state) => state.storage.sql);
    const written = await rowsWrittenBy(sql, async () => (await connectShard(index)).next(isLobbyWelcome));
    expect(written).toBe(0);
    const reported = () =>
      runInDurableObject(broadcaster(env), (_b: Broadcaster, state) =>
        state.storage.sql.exec<{ sockets: number }>("SELECT sockets FROM presence WHERE kind = 'shard' AND key = ?", String(index)).toArray(),
      );
    await eventually(reported, (rows) => rows[0]?.sockets === 1);
  });

  it("a burst of connects reads the audit alarm once, and a shard that let its alarm go with its last socket asks again", async () => {
    const index = 41;
    const stub = lobbyShard(env, index);
    // The shard's own storage, its getAlarm counted.
    const counted = await runInDurableObject(stub, (_shard: LobbyShard, state) => countAlarmReads(state.storage));
    const alarm = () => runInDurableObject(stub, () => counted.unpatched());
    try {
      const startedAt = Date.now();
      const burst = await Promise.all(Array.from({ length: 10 }, () => connectShard(index)));
      for (const socket of burst) await socket.next(isLobbyWelcome);
      const due = await eventually(alarm, (at) => at !== null);
      expect(due).toBeGreaterThanOrEqual(startedAt + CONNECT_AUDIT_AFTER_MS);
      expect(due).toBeLessThanOrEqual(Date.now() + CONNECT_AUDIT_BOUND_MS);
      // One read for the burst's audit; the presence lease, once the count has settled, finds that alarm in memory.
      await new Promise((resolve) => setTimeout(resolve, PRESENCE_SETTLE_MS * 2));
      expect(counted.reads()).toBe(1);

      // The last socket goes: the count settles at zero and the alarm is let go…
      for (const socket of burst) socket.close();
      await eventually(alarm, (at) => at === null);
      // …so the next connect cannot rely on the audit the burst asked for: it asks again.
      const reconnectedAt = Date.now();
      await (await connectShard(index)).next(isLobbyWelcome);
      const again = await eventually(alarm, (at) => at !== null);
      expect(again).toBeGreaterThanOrEqual(reconnectedAt + CONNECT_AUDIT_AFTER_MS);
      expect(again).toBeLessThanOrEqual(Date.now() + CONNECT_AUDIT_BOUND_MS);
    } finally {
      await runInDurableObject(stub, () => counted.restore());
    }
  });

  it("refuse a socket on an object that was not named as a shard", async () => {
    const stranger = env.LOBBY_SHARD.get(env.LOBBY_SHARD.idFromName("lobby"));
    const res = await stranger.fetch(new Request("https://lobby-shard/connect", { headers: { upgrade: "websocket" } }));
    expect(res.status).toBe(400);
    expect(res.webSocket).toBeNull();
  });
});

describe("lobby: cases:updated", () => {
  it("every lobby client gets cases:updated when an admin saves a case", async () => {
    const admin = await registerAdmin();
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect("/ws/lobby")));
    for (const c of clients) await c.next(isLobbyWelcome);
    const saved = await createCase(admin);
    const catalog = await call("GET", "/api/cases");
    for (const c of clients) {
      const frame = await c.nextWhere((f) => isLobbyEvents(f) && f.events.some((e) => e.event === "cases:updated"));
      expect(frame).toMatchObject({ events: [{ event: "cases:updated", data: { caseId: saved.id, action: "created", version: catalog.body.version } }] });
    }
  });

  it("fans out to every shard", async () => {
    const shards = [await connectShard(0), await connectShard(1)];
    await runInDurableObject(broadcaster(env), async (instance: Broadcaster) => {
      // wrangler.toml's LOBBY_SHARDS (1) wins over test bindings, so this call alone sees two shards.
      const original: unknown = Reflect.get(instance, "env");
      Reflect.set(instance, "env", { ...(original as Env), LOBBY_SHARDS: "2" });
      try {
        await instance.publish([{ event: "drops:new", data: drop(77) }]);
        await instance.alarm();
      } finally {
        Reflect.set(instance, "env", original);
      }
    });
    for (const s of shards) {
      const frame = await s.nextWhere((f) => isLobbyEvents(f) && f.events.some((e) => e.event === "drops:new"));
      expect(frame).toMatchObject({ events: expect.arrayContaining([{ event: "drops:new", data: drop(77) }]) });
    }
  });

  it("counts plain connects in one line a second, and logs a connect that caught up with something on its own", async () => {
    const index = 72;
    // Versions far above any the lobby's catalogue log holds, so the shard's seed cannot move "latest".
    const cases = [1002, 1003].map((version) => ({ event: "cases:updated" as const, data: { version, caseId: "c", action: "updated" as const } }));
    await lobbyShard(env, index).deliver({ frame: "{}", cases });
    const { lines, counted, restore } = connectLines({ shard: index });
    try {
      const plain = await Promise.all(Array.from({ length: 6 }, () => connectShard(index)));
      await Promise.all(plain.map((socket) => socket.next(isLobbyWelcome)));
      // With the version it last applied: it replays, and says so.
      await (await connectShard(index, 1001)).next(isLobbyWelcome);
      await eventually(async () => counted(), (n) => n >= 6);
      // The count starts again: a later burst is a line of its own.
      const tallies = lines.filter((l) => l.event === "ws_connects").length;
      await Promise.all((await Promise.all([connectShard(index), connectShard(index)])).map((socket) => socket.next(isLobbyWelcome)));
      await eventually(async () => counted(), (n) => n >= 8);
      expect(lines.filter((l) => l.event === "ws_connects").length).toBeGreaterThan(tallies);
    } finally {
      restore();
    }
    expect(counted()).toBe(8);
    expect(lines.filter((l) => l.event === "ws_connect")).toEqual([expect.objectContaining({ channel: "lobby", shard: index, since: 1001, latest: 1003, replayed: 2 })]);
  });

  it("asks for a resync when its catalogue log has a gap", async () => {
    const index = 7;
    await lobbyShard(env, index).deliver({ frame: "{}", cases: [{ event: "cases:updated", data: { version: 5, caseId: "c", action: "updated" } }] });
    const socket = await connectShard(index);
    socket.ws.send(JSON.stringify({ type: "resume-lobby", catalogVersion: 2 }));
    expect(await socket.next(isResync)).toEqual({ type: "resync", channel: "lobby", reason: "catalog_gap" });
  });

  it("keeps the last CATALOG_LOG_LIMIT catalogue changes: a client from before them resyncs, one inside replays", async () => {
    const index = 8;
    const changes = Array.from({ length: CATALOG_LOG_LIMIT + 5 }, (_, i) => ({ event: "cases:updated" as const, data: { version: i + 1, caseId: "c", action: "updated" as const } }));
    await lobbyShard(env, index).deliver({ frame: "{}", cases: changes });
    const latest = CATALOG_LOG_LIMIT + 5;

    const before = await connectShard(index);
    before.ws.send(JSON.stringify({ type: "resume-lobby", catalogVersion: latest - CATALOG_LOG_LIMIT - 1 }));
    expect(await before.next(isResync)).toEqual({ type: "resync", channel: "lobby", reason: "catalog_gap" });

    const inside = await connectShard(index);
    await inside.next(isLobbyWelcome);
    const from = inside.frames.length;
    inside.ws.send(JSON.stringify({ type: "resume-lobby", catalogVersion: latest - CATALOG_LOG_LIMIT }));
    const replay = await inside.next(isLobbyEvents, from);
    expect(replay.events.map((e) => (e.event === "cases:updated" ? e.data.version : -1))).toEqual(
      Array.from({ length: CATALOG_LOG_LIMIT }, (_, i) => latest - CATALOG_LOG_LIMIT + 1 + i),
    );
    expect(await inside.next(isLobbyWelcome, from)).toEqual({ type: "welcome", channel: "lobby", catalogVersion: latest });
  });

  it("replays missed catalogue changes on reconnect, then welcomes with the newest version", async () => {
    const admin = await registerAdmin();
    const first = await connect("/ws/lobby");
    await first.next(isLobbyWelcome);
    await createCase(admin);
    await first.nextWhere(hasCases);
    const { version } = (await call("GET", "/api/cases")).body as { version: number };
    first.close();

    const a = await createCase(admin);
    const b = await createCase(admin);
    // The broadcaster publishes in the background (waitUntil); wait until a fresh lobby client sees both.
    const watcher = await connect("/ws/lobby", { query: { catalog: version + 1 } });
    await watcher.nextWhere((f) => isLobbyEvents(f) && f.events.some((e) => e.event === "cases:updated" && e.data.caseId === b.id));

    const back = await connect("/ws/lobby", { query: { catalog: version } });
    const replay = await back.nextWhere(hasCases);
    expect(replay).toMatchObject({
      events: [
        { event: "cases:updated", data: { caseId: a.id, version: version + 1 } },
        { event: "cases:updated", data: { caseId: b.id, version: version + 2 } },
      ],
    });
    expect(await back.next(isLobbyWelcome)).toMatchObject({ catalogVersion: version + 2 });
    expect(back.frames.indexOf(await back.next(isLobbyWelcome))).toBeGreaterThan(back.frames.indexOf(replay));
  });
});

describe("lobby: drops and online count", () => {
  it("coalesces drops published within one window into one frame", async () => {
    const client = await connect("/ws/lobby");
    await client.next(isLobbyWelcome);
    const stub = broadcaster(env);
    // Drain any window already open so the next one starts with these drops only.
    await runDurableObjectAlarm(stub);
    await runInDurableObject(stub, async (instance: Broadcaster, state) => {
      for (let n = 1; n <= 5; n++) await instance.publish([{ event: "drops:new", data: drop(n) }]);
      expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM pending_drops").one().n).toBe(5);
    });
    await runDurableObjectAlarm(stub);
    await client.nextWhere(hasDrops, liveFrom(client));
    await settle(client);
    const frames = client.frames.slice(liveFrom(client)).filter(hasDrops);
    expect(frames).toHaveLength(1);
    expect(dropsIn(client).map((e) => e.data.at)).toEqual([1, 2, 3, 4, 5]);
  });

  it("caps a burst at the newest drops", async () => {
    const client = await connect("/ws/lobby");
    await client.next(isLobbyWelcome);
    const stub = broadcaster(env);
    await runDurableObjectAlarm(stub);
    await stub.publish(Array.from({ length: MAX_DROPS_PER_FRAME + 10 }, (_, i) => ({ event: "drops:new" as const, data: drop(i + 1) })));
    await runDurableObjectAlarm(stub);
    await client.nextWhere(hasDrops, liveFrom(client));
    expect(dropsIn(client).map((e) => e.data.at)).toEqual(Array.from({ length: MAX_DROPS_PER_FRAME }, (_, i) => i + 11));
  });

  it("real openings reach the lobby as drops:new", async () => {
    const admin = await registerAdmin();
    const player = await registerUser();
    await credit(admin, player.id, 10_000);
    const c = await createCase(admin);
    const client = await connect("/ws/lobby");
    await client.next(isLobbyWelcome);
    const opened = await call("POST", `/api/cases/${c.id}/open`, { token: player.token, body: { count: 1 } });
    expect(opened.status).toBe(201);
    const frame = await client.nextWhere(hasDrops, liveFrom(client));
    expect(frame).toMatchObject({
      events: expect.arrayContaining([{ event: "drops:new", data: expect.objectContaining({ id: opened.body.items[0]!.id, caseId: c.id, userDisplayName: player.displayName }) }]),
    });
  });

  it("sends the online count at most every ONLINE_EVERY_MS, without holding drops back", async () => {
    const onlineFrames = (socket: TestSocket) => socket.frames.filter((f) => isLobbyEvents(f) && f.events.some((e) => e.event === "online")).length;
    const watcher = await connect("/ws/lobby");
    await watcher.next(isLobbyWelcome);
    const stub = broadcaster(env);
    await runDurableObjectAlarm(stub);
    await settle(watcher);
    const before = onlineFrames(watcher);
    for (let i = 0; i < 5; i++) {
      const other = await connect("/ws/lobby");
      await other.next(isLobbyWelcome);
      // Wait until the shard's presence report reached the broadcaster, then close its window.
      await eventually(() => stub.stats(), (stats) => stats.lobbyClients >= i + 2);
      await runDurableObjectAlarm(stub);
    }
    await settle(watcher);
    expect(onlineFrames(watcher) - before).toBeLessThanOrEqual(1);
    // The changed count is owed later, yet a drop published now still goes out within one window.
    await stub.publish([{ event: "drops:new", data: drop(1) }]);
    const alarm = await runInDurableObject(stub, (_instance: Broadcaster, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm! - Date.now()).toBeLessThanOrEqual(LOBBY_FRAME_WINDOW_MS);
  });

  it("/health counts sockets and players online without waking hubs", async () => {
    type Health = { status: string; websocket: string; players: number; clients: number };
    const health = async () => (await call("GET", "/health")).body as Health;
    const player = await registerUser();
    // Earlier tests' closed sockets are reported once their counts settle (PRESENCE_SETTLE_MS):
    // the baseline is a count that stayed put for longer than that.
    let before = await health();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, PRESENCE_SETTLE_MS * 2));
      const again = await health();
      if (again.clients === before.clients && again.players === before.players) break;
      before = again;
    }
    const socket = await connectUser(player.token);
    await socket.next(isUserWelcome);
    const lobby = await connect("/ws/lobby");
    await lobby.next(isLobbyWelcome);
    // The hub and the shard each report once their count has settled (PRESENCE_SETTLE_MS).
    const online = await eventually(health, (h) => h.players > before.players && h.clients >= before.clients + 2);
    expect(online).toMatchObject({ status: "ok", websocket: "active", players: before.players + 1 });

    socket.close();
    await socket.closed;
    expect((await eventually(health, (h) => h.players <= before.players)).players).toBe(before.players);

    // The counts are the reports alone: a hub that never ran is counted, and /health leaves it asleep
    // (any hub that ran is listed, since its constructor upgrades its storage).
    const absent = `never-woken-${crypto.randomUUID()}`;
    await broadcaster(env).reportHub(absent, 3);
    try {
      const counted = await health();
      expect(counted.players).toBe(before.players + 1);
      expect(counted.clients).toBeGreaterThanOrEqual(before.clients + 3);
      const woken = (await listDurableObjectIds(env.USER_HUB)).map(String);
      expect(woken).toContain(env.USER_HUB.idFromName(player.id).toString());
      expect(woken).not.toContain(env.USER_HUB.idFromName(absent).toString());
    } finally {
      await broadcaster(env).reportHub(absent, 0);
    }
  });
});

describe("lobby: drops wait for the opener's reel", () => {
  const dropsAmong = (frames: TestSocket["frames"]) =>
    frames.filter(isLobbyEvents).flatMap((f) => f.events.flatMap((e) => (e.event === "drops:new" ? [e.data.id] : [])));

  it("a held drop is in no frame before its reveal time and in the first one after it, even across an eviction", async () => {
    const client = await connect("/ws/lobby");
    await client.next(isLobbyWelcome);
    const stub = broadcaster(env);
    await runDurableObjectAlarm(stub);
    const later = { ...drop(501), id: `held-${crypto.randomUUID()}` };
    const now = { ...drop(502), id: `due-${crypto.randomUUID()}` };
    await stub.hold([
      { drop: later, revealAt: Date.now() + 60_000 },
      { drop: now, revealAt: Date.now() - 1 },
    ]);
    await runDurableObjectAlarm(stub);
    await client.until(() => (dropsAmong(client.frames).includes(now.id) ? true : undefined), "the due drop");
    await settle(client);
    expect(dropsAmong(client.frames)).not.toContain(later.id);
    // Still held, and the alarm is set again for what is owed.
    const held = await runInDurableObject(stub, async (_b: Broadcaster, state) => ({
      rows: state.storage.sql.exec("SELECT COUNT(*) AS n FROM pending_drops WHERE drop_json LIKE ?", `%${later.id}%`).one().n,
      alarm: await state.storage.getAlarm(),
    }));
    expect(held.rows).toBe(1);
    expect(held.alarm).not.toBeNull();

    // Its time comes while the object is evicted: a new instance on the same storage sends it.
    await runInDurableObject(stub, async (_b: Broadcaster, state) => {
      state.storage.sql.exec("UPDATE pending_drops SET reveal_at = ? WHERE drop_json LIKE ?", Date.now() - 1, `%${later.id}%`);
      const fresh = new Broadcaster(state, env);
      await state.blockConcurrencyWhile(async () => {});
      await fresh.alarm();
    });
    await client.until(() => (dropsAmong(client.frames).includes(later.id) ? true : undefined), "the held drop after its time");
  });

  it("a real opening's drop reaches the lobby no sooner than REVEAL_MS after the answer", async () => {
    const admin = await registerAdmin();
    const player = await registerUser();
    await credit(admin, player.id, 1_000);
    const box = await createCase(admin);
    const client = await connect("/ws/lobby");
    await client.next(isLobbyWelcome);
    const opened = await call("POST", `/api/cases/${box.id}/open`, { token: player.token });
    const answeredAt = Date.now();
    const id = opened.body.items[0]!.id;
    const seen = await client.until(() => (dropsAmong(client.frames).includes(id) ? Date.now() : undefined), "the opening's drop");
    expect(seen - answeredAt).toBeGreaterThanOrEqual(revealMs(env) + REVEAL_GRACE_MS - 50);
  });

  it("a new lobby socket gets the latest drops at once, oldest first, before its welcome", async () => {
    const stub = broadcaster(env);
    await runDurableObjectAlarm(stub);
    const batch = Array.from({ length: RECENT_DROPS + 5 }, (_, i) => ({ ...drop(600 + i), id: `recent-${i}-${crypto.randomUUID()}` }));
    await stub.publish(batch.map((data) => ({ event: "drops:new" as const, data })));
    await runDurableObjectAlarm(stub);
    const watcher = await connect("/ws/lobby");
    const catchUp = await watcher.next(isLobbyEvents);
    const welcome = await watcher.next(isLobbyWelcome);
    expect(watcher.frames.indexOf(catchUp)).toBeLessThan(watcher.frames.indexOf(welcome));
    expect(dropsAmong([catchUp])).toEqual(batch.slice(-RECENT_DROPS).map((d) => d.id));
  });

  it("a shard that never had a delivery asks the broadcaster once, however many sockets connect at once", async () => {
    const stub = broadcaster(env);
    const known = { ...drop(700), id: `known-${crypto.randomUUID()}` };
    await stub.publish([{ event: "drops:new", data: known }]);
    await runDurableObjectAlarm(stub);
    const original = Broadcaster.prototype.seedShard;
    let asked = 0;
    Broadcaster.prototype.seedShard = async function (this: Broadcaster) {
      asked++;
      return original.call(this);
    };
    try {
      const sockets = await Promise.all(Array.from({ length: 12 }, () => connectShard(40)));
      for (const socket of sockets) expect(dropsAmong([await socket.next(isLobbyEvents)])).toContain(known.id);
      expect(asked).toBe(1);
    } finally {
      Broadcaster.prototype.seedShard = original;
    }
  });
});
