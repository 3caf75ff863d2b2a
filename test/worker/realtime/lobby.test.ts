import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { LOBBY_FRAME_WINDOW_MS, MAX_DROPS_PER_FRAME, type Broadcaster } from "../../../src/realtime/broadcaster";
import type { Drop, PublicEvent } from "../../../src/realtime/events";
import { SHARD_INDEX_HEADER } from "../../../src/realtime/lobby-shard";
import type { ServerMessage } from "../../../src/realtime/protocol";
import { broadcaster, lobbyShard } from "../../../src/realtime/stubs";
import { call, createCase, credit, registerAdmin, registerUser } from "../../helpers";
import { closeAll, connect, connectUser, isLobbyEvents, isResync, isUserWelcome, settle, type TestSocket } from "./sockets";

afterEach(closeAll);

const isLobbyWelcome = (f: ServerMessage): f is Extract<ServerMessage, { type: "welcome"; channel: "lobby" }> =>
  f.type === "welcome" && f.channel === "lobby";

const drop = (n: number): Drop => ({
  caseId: "case-1",
  item: { id: `item-${n}`, name: `Item ${n}`, imageUrl: null, rarity: "consumer", value: n, kind: "skin" },
  userDisplayName: "Someone",
  at: n,
});

const dropsIn = (socket: TestSocket) =>
  socket.frames.filter(isLobbyEvents).flatMap((f) => f.events.filter((e): e is Extract<PublicEvent, { event: "drops:new" }> => e.event === "drops:new"));

/** Opens a lobby socket on one given shard, bypassing the Worker's random pick. */
async function connectShard(index: number): Promise<TestSocket> {
  const res = await lobbyShard(env, index).fetch(
    new Request("https://lobby-shard/connect", { headers: { upgrade: "websocket", [SHARD_INDEX_HEADER]: String(index) } }),
  );
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  if (!ws) throw new Error("no socket");
  ws.accept();
  const frames: ServerMessage[] = [];
  ws.addEventListener("message", (e) => {
    if (typeof e.data === "string" && e.data !== "pong") frames.push(JSON.parse(e.data) as ServerMessage);
  });
  const socket: TestSocket = {
    ws,
    frames,
    texts: [],
    closed: new Promise((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason }))),
    nextWhere: (match) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = () => {
          const found = frames.find(match);
          if (found) resolve(found);
          else if (Date.now() - started > 5_000) reject(new Error(`no frame; got ${JSON.stringify(frames)}`));
          else setTimeout(poll, 10);
        };
        poll();
      }),
    next: (match) => socket.nextWhere(match) as never,
    close: () => ws.close(1000, "test done"),
  };
  return socket;
}

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
    try {
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
    } finally {
      for (const s of shards) s.close();
    }
  });

  it("asks for a resync when its catalogue log has a gap", async () => {
    const index = 7;
    await lobbyShard(env, index).deliver({ frame: "{}", cases: [{ event: "cases:updated", data: { version: 5, caseId: "c", action: "updated" } }] });
    const socket = await connectShard(index);
    socket.ws.send(JSON.stringify({ type: "resume-lobby", catalogVersion: 2 }));
    expect(await socket.next(isResync)).toEqual({ type: "resync", channel: "lobby", reason: "catalog_gap" });
    socket.close();
  });

  it("replays missed catalogue changes on reconnect, or asks for a resync past its log", async () => {
    const admin = await registerAdmin();
    const first = await connect("/ws/lobby");
    await first.next(isLobbyWelcome);
    await createCase(admin);
    await first.nextWhere(isLobbyEvents);
    const { version } = (await call("GET", "/api/cases")).body as { version: number };
    first.close();

    const a = await createCase(admin);
    const b = await createCase(admin);
    // The broadcaster publishes in the background (waitUntil); wait until a fresh lobby client sees both.
    const watcher = await connect("/ws/lobby", { query: { catalog: version + 1 } });
    await watcher.nextWhere((f) => isLobbyEvents(f) && f.events.some((e) => e.event === "cases:updated" && e.data.caseId === b.id));

    const back = await connect("/ws/lobby", { query: { catalog: version } });
    const replay = await back.nextWhere(isLobbyEvents);
    expect(replay).toMatchObject({
      events: [
        { event: "cases:updated", data: { caseId: a.id, version: version + 1 } },
        { event: "cases:updated", data: { caseId: b.id, version: version + 2 } },
      ],
    });
    expect(await back.next(isLobbyWelcome)).toMatchObject({ catalogVersion: version + 2 });

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
    await client.nextWhere((f) => isLobbyEvents(f) && f.events.some((e) => e.event === "drops:new"));
    await settle(client);
    const frames = client.frames.filter((f) => isLobbyEvents(f) && f.events.some((e) => e.event === "drops:new"));
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
    await client.nextWhere((f) => isLobbyEvents(f) && f.events.some((e) => e.event === "drops:new"));
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
    const frame = await client.nextWhere((f) => isLobbyEvents(f) && f.events.some((e) => e.event === "drops:new"));
    expect(frame).toMatchObject({ events: expect.arrayContaining([{ event: "drops:new", data: expect.objectContaining({ caseId: c.id, userDisplayName: player.displayName }) }]) });
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
      const count = async () => (await stub.stats()).lobbyClients;
      for (let tries = 0; tries < 50 && (await count()) < i + 2; tries++) await new Promise((r) => setTimeout(r, 10));
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
    const player = await registerUser();
    const before = (await call("GET", "/health")).body as { players: number; clients: number };
    const socket = await connectUser(player.token);
    await socket.next(isUserWelcome);
    const lobby = await connect("/ws/lobby");
    await lobby.next(isLobbyWelcome);
    let health = (await call("GET", "/health")).body as { websocket: string; players: number; clients: number };
    for (let i = 0; i < 50 && health.players <= before.players; i++) {
      await new Promise((r) => setTimeout(r, 20));
      health = (await call("GET", "/health")).body;
    }
    expect(health).toMatchObject({ status: "ok", websocket: "active", players: before.players + 1 });
    expect(health.clients).toBeGreaterThanOrEqual(before.clients + 2);

    socket.close();
    await socket.closed;
    for (let i = 0; i < 50 && health.players > before.players; i++) {
      await new Promise((r) => setTimeout(r, 20));
      health = (await call("GET", "/health")).body;
    }
    expect(health.players).toBe(before.players);
  });
});
