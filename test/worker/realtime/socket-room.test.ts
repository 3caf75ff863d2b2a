import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { Broadcaster } from "../../../src/realtime/broadcaster";
import { HUB_SESSION_HEADER, HUB_USER_HEADER } from "../../../src/realtime/hub-headers";
import type { LobbyShard } from "../../../src/realtime/lobby-shard";
import { broadcaster, lobbyShard, userHub } from "../../../src/realtime/stubs";
import { closeAll, connectShard, eventually, isError, isLobbyWelcome, settle } from "./sockets";

afterEach(closeAll);

/** The shard's count as the broadcaster holds it (undefined: none reported). */
const reportedCount = (index: number) =>
  runInDurableObject(broadcaster(env), (_b: Broadcaster, state) =>
    state.storage.sql.exec<{ sockets: number }>("SELECT sockets FROM presence WHERE kind = 'shard' AND key = ?", String(index)).toArray()[0]?.sockets,
  );

/** Opens `count` sockets on shard `index` and waits until the broadcaster has counted them. */
async function openShard(index: number, count: number) {
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const socket = await connectShard(index);
    await socket.next(isLobbyWelcome);
    sockets.push(socket);
  }
  await eventually(() => reportedCount(index), (n) => n === count);
  return sockets;
}

/** Runs `end` on one of the shard's server-side sockets, recording the close calls it makes instead of closing. */
function endOneSocket(index: number, end: (shard: LobbyShard, ws: WebSocket) => Promise<void>) {
  return runInDurableObject(lobbyShard(env, index), async (shard: LobbyShard, state) => {
    const [ws] = state.getWebSockets();
    if (!ws) throw new Error("no sockets");
    const closes: unknown[][] = [];
    ws.close = (...args: unknown[]) => void closes.push(args);
    await end(shard, ws);
    return closes;
  });
}

describe("socket rooms", () => {
  it("leave heartbeats to the runtime: a ping is answered without reaching the room", async () => {
    const index = 20;
    const [socket] = await openShard(index, 1);
    const reached: unknown[] = [];
    await runInDurableObject(lobbyShard(env, index), (shard: LobbyShard) => {
      const original = shard.webSocketMessage.bind(shard);
      shard.webSocketMessage = async (ws, message) => {
        reached.push(message);
        await original(ws, message);
      };
    });
    await settle(socket!);
    socket!.ws.send("{}");
    await socket!.next(isError);
    expect(reached).toEqual(["{}"]);
  });

  it("refuse the other socket's messages with the protocol's error frame and keep the socket", async () => {
    const [socket] = await openShard(21, 1);
    socket!.ws.send(JSON.stringify({ type: "resume", epoch: "e", since: 1 }));
    expect(await socket!.next(isError)).toEqual({ type: "error", code: "wrong_channel", message: '"resume" belongs on the private socket.' });
    socket!.ws.send(JSON.stringify({ type: "resume-lobby", catalogVersion: 0 }));
    await socket!.next(isLobbyWelcome, socket!.frames.length);
  });

  it.each([1005, 1006, 1015])("do not close a socket that reported %i (no close frame came), and still count it gone", async (code) => {
    const index = 22 + code;
    await openShard(index, 2);
    const closes = await endOneSocket(index, (shard, ws) => shard.webSocketClose(ws, code, ""));
    expect(closes).toEqual([]);
    expect(await reportedCount(index)).toBe(1);
  });

  it("answer a clean close with the peer's code, and a failed socket with 1000, on the same end-of-socket path", async () => {
    await openShard(30, 2);
    expect(await endOneSocket(30, (shard, ws) => shard.webSocketClose(ws, 4000, "bye"))).toEqual([[4000, "bye"]]);
    expect(await reportedCount(30)).toBe(1);
    await openShard(31, 2);
    expect(await endOneSocket(31, (shard, ws) => shard.webSocketError(ws, new Error("broken pipe")))).toEqual([[1000, "error"]]);
    expect(await reportedCount(31)).toBe(1);
  });

  it("refuse HTTP in the one error shape: a plain request with 426, a socket for someone else's hub with 403", async () => {
    const plain = await lobbyShard(env, 0).fetch("https://lobby-shard/connect");
    expect(plain.status).toBe(426);
    expect(await plain.json()).toEqual({ error: { code: "upgrade_required", message: "Expected a WebSocket upgrade." } });
    const headers = { upgrade: "websocket", [HUB_USER_HEADER]: "mallory", [HUB_SESSION_HEADER]: "s1" };
    const wrong = await userHub(env, "alice").fetch(new Request("https://user-hub/connect", { headers }));
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ error: { code: "forbidden", message: "Wrong hub." } });
  });
});
