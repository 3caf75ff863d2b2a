import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { PrivateEvent } from "../../../src/realtime/events";
import { userHub } from "../../../src/realtime/stubs";
import { REPLAY_LOG_LIMIT, ReplayLog } from "../../../src/realtime/replay-log";
import { UserHub } from "../../../src/realtime/user-hub";
import { call, credit, registerAdmin, registerUser } from "../../helpers";
import { closeAll, connectUser, isError, isResync, isUserEvents, isUserWelcome, settle, type TestSocket } from "./sockets";
import { rowsWrittenBy, wake } from "./storage";

afterEach(closeAll);

const balance = (n: number): PrivateEvent => ({ event: "balance:updated", data: { balance: n, delta: n, reason: "admin_credit", version: n } });

async function publishTo(userId: string, ...events: PrivateEvent[]) {
  await userHub(env, userId).publish(events);
}

const userEventFrames = (socket: TestSocket) => socket.frames.filter(isUserEvents);

describe("UserHub delivery", () => {
  it("a player never receives another player's events", async () => {
    const admin = await registerAdmin();
    const alice = await registerUser("alice");
    const bob = await registerUser("bob");
    const aliceSocket = await connectUser(alice.token);
    const bobSocket = await connectUser(bob.token);
    await aliceSocket.next(isUserWelcome);
    await bobSocket.next(isUserWelcome);

    await credit(admin, alice.id, 500);
    const frame = await aliceSocket.next(isUserEvents);
    expect(frame.events).toEqual([{ seq: 1, event: "balance:updated", data: { balance: 500, delta: 500, reason: "admin_credit", version: expect.any(Number) } }]);
    await settle(bobSocket);
    expect(userEventFrames(bobSocket)).toEqual([]);

    await credit(admin, bob.id, 700);
    const bobFrame = await bobSocket.next(isUserEvents);
    expect(bobFrame.events.map((e) => e.data)).toEqual([expect.objectContaining({ balance: 700 })]);
    await settle(aliceSocket);
    expect(userEventFrames(aliceSocket)).toHaveLength(1);
  });

  it("two sockets of one user both receive the same frame", async () => {
    const player = await registerUser();
    const tab1 = await connectUser(player.token);
    const tab2 = await connectUser(player.token);
    await tab1.next(isUserWelcome);
    await tab2.next(isUserWelcome);
    await publishTo(player.id, balance(1));
    const [a, b] = await Promise.all([tab1.next(isUserEvents), tab2.next(isUserEvents)]);
    expect(a).toEqual(b);
    expect(a.events[0]).toMatchObject({ seq: 1, event: "balance:updated" });
  });

  it("the old user:identify message gets an error frame and binds nothing", async () => {
    const alice = await registerUser("alice");
    const bob = await registerUser("bob");
    const bobSocket = await connectUser(bob.token);
    await bobSocket.next(isUserWelcome);
    // One frame at a time, as in the malformed-frames test: back-to-back sends from the test
    // isolate are not reliably delivered in the pool (they are against a real wrangler dev).
    bobSocket.ws.send(JSON.stringify({ type: "user:identify", userId: alice.id }));
    const first = await bobSocket.next(isError);
    bobSocket.ws.send(JSON.stringify({ event: "user:identify", data: { userId: alice.id } }));
    await bobSocket.next(isError, bobSocket.frames.indexOf(first) + 1);
    expect(bobSocket.frames.filter(isError).map((e) => e.code)).toEqual(["unknown_message", "bad_frame"]);

    await publishTo(alice.id, balance(42));
    await publishTo(bob.id, balance(7));
    const frame = await bobSocket.next(isUserEvents);
    expect(frame.events.map((e) => e.data)).toEqual([expect.objectContaining({ balance: 7 })]);
    await settle(bobSocket);
    expect(userEventFrames(bobSocket)).toHaveLength(1);
  });

  it("answers malformed frames with an error frame and keeps the socket", async () => {
    const player = await registerUser();
    const socket = await connectUser(player.token);
    await socket.next(isUserWelcome);
    const cases: [string | Uint8Array, string][] = [
      ["not json", "bad_frame"],
      ["[1,2]", "bad_frame"],
      ["{}", "bad_frame"],
      [JSON.stringify({ type: "resume", epoch: "x", since: -5 }), "unknown_message"],
      ["x".repeat(5000), "too_large"],
      [new Uint8Array([1, 2, 3]), "bad_frame"],
      [JSON.stringify({ type: "resume-lobby", catalogVersion: 1 }), "wrong_channel"],
    ];
    for (const [frame, code] of cases) {
      const from = socket.frames.length;
      socket.ws.send(frame);
      expect(await socket.next(isError, from)).toMatchObject({ type: "error", code });
    }
    await publishTo(player.id, balance(3));
    expect((await socket.next(isUserEvents)).events[0]?.seq).toBe(1);
  });

  it("keeps broadcasting when one socket is broken", async () => {
    const player = await registerUser();
    const sockets = [await connectUser(player.token), await connectUser(player.token), await connectUser(player.token)];
    for (const s of sockets) await s.next(isUserWelcome);
    await runInDurableObject(userHub(env, player.id), async (hub: UserHub, state) => {
      const [broken] = state.getWebSockets();
      if (!broken) throw new Error("no sockets");
      broken.send = () => {
        throw new Error("simulated dead peer");
      };
      await hub.publish([balance(9)]);
    });
    const outcomes = await Promise.all(
      sockets.map((s) =>
        Promise.race([s.next(isUserEvents).then(() => "received" as const), s.closed.then((c) => `closed ${c.code}` as const)]),
      ),
    );
    expect(outcomes.filter((o) => o === "received")).toHaveLength(2);
    expect(outcomes.filter((o) => o === "closed 1011")).toHaveLength(1);
  });
});

describe("UserHub resume", () => {
  it("replays the events published while a client was away, in order", async () => {
    const player = await registerUser();
    const first = await connectUser(player.token);
    await publishTo(player.id, balance(1));
    const welcome = await first.next(isUserWelcome);
    await first.next(isUserEvents);
    first.close();
    await publishTo(player.id, balance(2), balance(3));
    await publishTo(player.id, balance(4));

    const again = await connectUser(player.token, { since: 1, epoch: welcome.epoch });
    const replay = await again.next(isUserEvents);
    expect(replay.epoch).toBe(welcome.epoch);
    expect(replay.events.map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(replay.events.map((e) => e.data)).toEqual([2, 3, 4].map((n) => expect.objectContaining({ balance: n })));
    const caughtUp = await again.next(isUserWelcome);
    expect(caughtUp.seq).toBe(4);
    expect(again.frames.indexOf(caughtUp)).toBeGreaterThan(again.frames.indexOf(replay));
  });

  it("replays on a resume frame as well as on the query", async () => {
    const player = await registerUser();
    const socket = await connectUser(player.token);
    const welcome = await socket.next(isUserWelcome);
    await publishTo(player.id, balance(1), balance(2));
    await socket.next(isUserEvents);
    const from = socket.frames.length;
    socket.ws.send(JSON.stringify({ type: "resume", epoch: welcome.epoch, since: 1 }));
    const replay = await socket.next(isUserEvents, from);
    expect(replay.events.map((e) => e.seq)).toEqual([2]);
  });

  it("asks for a resync when the gap is older than the log", async () => {
    const player = await registerUser();
    const first = await connectUser(player.token);
    const welcome = await first.next(isUserWelcome);
    first.close();
    // Five events per publish, as a burst of openings would publish them (two each).
    for (let first = 1; first <= REPLAY_LOG_LIMIT + 5; first += 5) await publishTo(player.id, ...[0, 1, 2, 3, 4].map((i) => balance(first + i)));

    const again = await connectUser(player.token, { since: 0, epoch: welcome.epoch });
    expect(await again.next(isResync)).toEqual({ type: "resync", channel: "user", reason: "gap_too_old" });
    expect((await again.next(isUserWelcome)).seq).toBe(REPLAY_LOG_LIMIT + 5);
    expect(again.frames.filter(isUserEvents)).toEqual([]);

    // Just inside the log still replays.
    const inside = await connectUser(player.token, { since: 5, epoch: welcome.epoch });
    await inside.next(isUserWelcome);
    const seqs = inside.frames.filter(isUserEvents).flatMap((f) => f.events.map((e) => e.seq));
    expect(seqs).toEqual(Array.from({ length: REPLAY_LOG_LIMIT }, (_, i) => i + 6));
  });

  it("stores one publish as one written row, however long the stream gets", async () => {
    const player = await registerUser();
    await runInDurableObject(userHub(env, player.id), async (_hub: UserHub, state: DurableObjectState) => {
      const replay = new ReplayLog(state.storage.sql);
      const start = replay.position().seq;
      const perPublish: number[] = [];
      for (let i = 1; i <= REPLAY_LOG_LIMIT + 20; i++) {
        perPublish.push(await rowsWrittenBy(state.storage.sql, () => replay.append([balance(i), balance(i)])));
      }
      // Inserting into an empty slot and overwriting a full one both cost one row: no trimming DELETE.
      expect(new Set(perPublish)).toEqual(new Set([1]));
      expect(state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM batches").one().n).toBeLessThanOrEqual(REPLAY_LOG_LIMIT);
      // A fresh reader (the hub after a wake-up) finds the same position and replays the window.
      const reread = new ReplayLog(state.storage.sql);
      const { epoch, seq } = reread.position();
      expect(seq).toBe(start + 2 * (REPLAY_LOG_LIMIT + 20));
      const caught = reread.after({ since: seq - REPLAY_LOG_LIMIT + 1, epoch });
      expect(caught.kind === "replay" && caught.events.map((e) => e.seq)).toEqual(Array.from({ length: REPLAY_LOG_LIMIT - 1 }, (_, i) => seq - REPLAY_LOG_LIMIT + 2 + i));
    });
  });

  it("takes over a hub the previous version wrote: the position carries on, its per-event log goes, once", async () => {
    const player = await registerUser();
    await runInDurableObject(userHub(env, player.id), async (_hub: UserHub, state: DurableObjectState) => {
      const sql = state.storage.sql;
      // What the previous version left: no storage version, the counter on the stream row and one row per event.
      for (const table of ["storage_version", "batches", "stream"]) sql.exec(`DROP TABLE ${table}`);
      sql.exec("CREATE TABLE stream (id INTEGER PRIMARY KEY CHECK (id = 1), epoch TEXT NOT NULL, seq INTEGER NOT NULL)");
      sql.exec("INSERT INTO stream (id, epoch, seq) VALUES (1, 'previousEpoch', 42)");
      sql.exec("CREATE TABLE log (seq INTEGER PRIMARY KEY, event TEXT NOT NULL)");
      sql.exec("INSERT INTO log (seq, event) VALUES (42, '{}')");

      // The hub wakes up on that storage.
      await wake(UserHub, state);
      const replay = new ReplayLog(sql);
      expect(replay.position()).toEqual({ epoch: "previousEpoch", seq: 42 });
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'log'").toArray()).toEqual([]);
      const appended = replay.append([balance(43)]);
      expect(appended.events.map((e) => e.seq)).toEqual([43]);
      // A client that had seen everything replays what came after; one that had not resyncs.
      const caught = replay.after({ since: 42, epoch: "previousEpoch" });
      expect(caught.kind === "replay" && caught.events.map((e) => e.seq)).toEqual([43]);
      expect(replay.after({ since: 40, epoch: "previousEpoch" })).toEqual({ kind: "resync", reason: "gap_too_old" });

      // The next wake neither reruns the upgrade (a table it would drop stays) nor writes anything,
      // and reads the position back from storage, not from memory.
      sql.exec("CREATE TABLE log (seq INTEGER PRIMARY KEY, event TEXT NOT NULL)");
      expect(await rowsWrittenBy(sql, () => wake(UserHub, state))).toBe(0);
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'log'").toArray()).toEqual([{ name: "log" }]);
      expect(new ReplayLog(sql).position()).toEqual({ epoch: "previousEpoch", seq: 43 });
    });
  });

  it("asks for a resync for another epoch or a position it never reached", async () => {
    const player = await registerUser();
    const other = await connectUser(player.token, { since: 0, epoch: "someOtherEpoch" });
    expect(await other.next(isResync)).toMatchObject({ reason: "epoch_changed" });
    const welcome = await other.next(isUserWelcome);
    const ahead = await connectUser(player.token, { since: 99, epoch: welcome.epoch });
    expect(await ahead.next(isResync)).toMatchObject({ reason: "ahead_of_server" });
  });
});

describe("UserHub sessions and hibernation", () => {
  it("logout closes that session's sockets only", async () => {
    const player = await registerUser();
    const login = await call("POST", "/api/auth/login", { body: { email: player.email, password: "correct horse battery" } });
    expect(login.status).toBe(200);
    const kept = await connectUser(login.body.token);
    const ended = await connectUser(player.token);
    await kept.next(isUserWelcome);
    await ended.next(isUserWelcome);
    expect((await call("POST", "/api/auth/logout", { token: player.token })).status).toBe(204);
    expect(await ended.closed).toMatchObject({ code: 4001 });
    await publishTo(player.id, balance(5));
    expect((await kept.next(isUserEvents)).events[0]?.data).toMatchObject({ balance: 5 });
  });

  it("still reaches hibernated sockets after the hub was evicted", { timeout: 60_000 }, async () => {
    // @cloudflare/vitest-pool-workers 0.15.1 has no evictDurableObject, and abortAllDurableObjects
    // breaks sockets instead of hibernating them. workerd's own idle eviction (about 10 s without
    // events for an object holding only hibernatable sockets) is the real mechanism, so we wait for it
    // and prove it happened: an in-memory marker set before is gone afterwards.
    const player = await registerUser();
    const socket = await connectUser(player.token);
    await socket.next(isUserWelcome);
    const stub = userHub(env, player.id);
    await runInDurableObject(stub, (hub: UserHub) => {
      Object.assign(hub, { evictionMarker: "set before eviction" });
    });
    await new Promise((resolve) => setTimeout(resolve, 15_000));

    await publishTo(player.id, balance(11));
    expect((await socket.next(isUserEvents)).events[0]).toMatchObject({ seq: 1, data: { balance: 11 } });
    const marker = await runInDurableObject(stub, (hub: UserHub) => (hub as unknown as { evictionMarker?: string }).evictionMarker);
    expect(marker).toBeUndefined();
  });
});
