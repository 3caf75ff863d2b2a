import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { sessionIdOf } from "../../../src/features/auth/session-token";
import type { PrivateEvent } from "../../../src/realtime/events";
import { userHub } from "../../../src/realtime/stubs";
import { HUB_SESSION_HEADER, HUB_USER_HEADER } from "../../../src/realtime/hub-headers";
import type { UserHub } from "../../../src/realtime/user-hub";
import { call, ORIGIN, registerUser, type TestUser } from "../../helpers";
import { closeAll, connect, connectUser, isError, isUserEvents, isUserWelcome, settle, type TestSocket } from "./sockets";

// The seed's hole: any socket could join any user's room. A private socket is bound to the user
// its ticket or cookie authenticated, and nothing else the client sends — query parameters,
// headers, frames — may change that. Each test has Bob try to become Alice, then checks where
// his sockets really are (the hubs' own socket lists) and which events reach them.

afterEach(closeAll);

const NAMING_PARAMS = ["userId", "user", "uid", "user_id", "id", "as"];

const balance = (n: number): PrivateEvent => ({ event: "balance:updated", data: { balance: n, delta: n, reason: "admin_credit", version: n } });

async function ticketFor(user: TestUser): Promise<string> {
  const res = await call("POST", "/api/realtime/ticket", { token: user.token });
  expect(res.status).toBe(201);
  return res.body.ticket;
}

/** What each hub holds: the attachments of its sockets. */
const hubSockets = (user: TestUser) =>
  runInDurableObject(userHub(env, user.id), (_hub: UserHub, state: DurableObjectState) => state.getWebSockets().map((ws) => ws.deserializeAttachment() as unknown));

/**
 * Every socket sits in the owner's hub under the owner's session, the other player's hub holds none
 * of them, and of one event each only the owner's arrives.
 */
async function expectBoundTo(owner: TestUser, other: TestUser, sockets: TestSocket[]): Promise<void> {
  for (const socket of sockets) await socket.next(isUserWelcome);
  const session = await sessionIdOf(owner.token);
  const held = await hubSockets(owner);
  expect(held).toHaveLength(sockets.length);
  for (const attachment of held) expect(attachment).toMatchObject({ userId: owner.id, sessionId: session });
  expect(await hubSockets(other)).toEqual([]);

  await userHub(env, other.id).publish([balance(42)]);
  await userHub(env, owner.id).publish([balance(7)]);
  for (const socket of sockets) {
    await socket.next(isUserEvents);
    await settle(socket);
    const balances = socket.frames.filter(isUserEvents).flatMap((f) => f.events.map((e) => (e.data as { balance: number }).balance));
    expect(balances).toEqual([7]);
  }
}

describe("a private socket is bound to the player who authenticated it", () => {
  it("naming another player in the query (userId, user, uid, user_id, id, as) binds nothing: ticket and cookie", async () => {
    const alice = await registerUser("alice");
    const bob = await registerUser("bob");
    const sockets: TestSocket[] = [];
    for (const param of NAMING_PARAMS) {
      sockets.push(await connect("/ws/user", { query: { ticket: await ticketFor(bob), [param]: alice.id } }));
    }
    const everyParam = Object.fromEntries(NAMING_PARAMS.map((p) => [p, alice.id]));
    sockets.push(await connect("/ws/user", { query: everyParam, headers: { cookie: `ch_session=${bob.token}`, origin: ORIGIN } }));
    await expectBoundTo(bob, alice, sockets);
  });

  it("identity headers a client sends to the Worker (x-realtime-user, x-realtime-session, …) never reach the hub", async () => {
    const alice = await registerUser("alice");
    const bob = await registerUser("bob");
    const forged = {
      [HUB_USER_HEADER]: alice.id,
      [HUB_SESSION_HEADER]: await sessionIdOf(alice.token),
      "x-user-id": alice.id,
      "x-user": alice.id,
    };
    const sockets = [
      await connect("/ws/user", { query: { ticket: await ticketFor(bob) }, headers: forged }),
      await connect("/ws/user", { query: { ticket: await ticketFor(bob) }, headers: { [HUB_USER_HEADER]: alice.id } }),
      await connect("/ws/user", { query: { userId: alice.id }, headers: { ...forged, cookie: `ch_session=${bob.token}`, origin: ORIGIN } }),
    ];
    await expectBoundTo(bob, alice, sockets);
  });

  it("identify-style frames after connecting are refused with an error frame and bind nothing", async () => {
    const alice = await registerUser("alice");
    const bob = await registerUser("bob");
    const socket = await connectUser(bob.token);
    const welcome = await socket.next(isUserWelcome);
    const refused = [
      { type: "user:identify", userId: alice.id },
      { type: "identify", userId: alice.id },
      { type: "join", room: `user:${alice.id}` },
      { type: "auth", userId: alice.id, sessionId: await sessionIdOf(alice.token) },
      { event: "user:identify", data: { userId: alice.id } },
    ];
    // One frame at a time: back-to-back sends from the test isolate are not reliably delivered in the pool.
    for (const frame of refused) {
      const from = socket.frames.length;
      socket.ws.send(JSON.stringify(frame));
      expect(await socket.next(isError, from)).toMatchObject({ type: "error" });
    }
    // A valid resume that also names Alice resumes Bob's own stream; the extra field is ignored.
    const from = socket.frames.length;
    socket.ws.send(JSON.stringify({ type: "resume", epoch: welcome.epoch, since: 0, userId: alice.id }));
    // (A resume frame re-sends the welcome without a new resume credential: the socket's own still holds.)
    const { resume: _credential, ...position } = welcome;
    expect(await socket.next(isUserWelcome, from)).toEqual(position);
    await expectBoundTo(bob, alice, [socket]);
  });

  it("a hub refuses a connection for any user but the one it is named after, and one without an identity", async () => {
    const alice = await registerUser("alice");
    const bob = await registerUser("bob");
    const hub = userHub(env, alice.id);
    const attempt = (headers: Record<string, string>) => hub.fetch(new Request("https://user-hub/connect", { headers: { upgrade: "websocket", ...headers } }));
    const wrongUser = await attempt({ [HUB_USER_HEADER]: bob.id, [HUB_SESSION_HEADER]: await sessionIdOf(bob.token) });
    expect(wrongUser.status).toBe(403);
    expect(wrongUser.webSocket).toBeNull();
    expect((await attempt({ [HUB_SESSION_HEADER]: await sessionIdOf(alice.token) })).status).toBe(403);
    expect((await attempt({ [HUB_USER_HEADER]: alice.id })).status).toBe(403);
    expect(await hubSockets(alice)).toEqual([]);
  });
});
