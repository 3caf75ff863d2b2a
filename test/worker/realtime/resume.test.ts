import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../../../src/index";
import { AUDIT_MS, CONNECT_AUDIT_AFTER_MS, CONNECT_AUDIT_BOUND_MS } from "../../../src/realtime/audit";
import { HUB_RESUME_EPOCH_HEADER, HUB_RESUME_EXPIRES_HEADER, HUB_RESUME_NONCE_HEADER, HUB_SESSION_HEADER, HUB_USER_HEADER } from "../../../src/realtime/hub-headers";
import type { ResumeGrant, ServerMessage } from "../../../src/realtime/protocol";
import { RESUME_TTL_MS, mintResume, verifyResume } from "../../../src/realtime/resume";
import { userHub } from "../../../src/realtime/stubs";
import { call, credit, registerAdmin, registerUser, ORIGIN, type TestUser } from "../../helpers";
import { closeAll, connect, connectLines, connectUser, eventually, isUserEvents, isUserWelcome, upgrade, type TestSocket } from "./sockets";

// A reconnect presents the resume credential its hub handed out (welcome, audit) instead of a
// ticket: no D1 write, its signature checked by the Worker, and its user, session and single use by
// the hub. The first connect stays what it was (ticket or cookie: ./auth.test.ts).

afterEach(closeAll);

const isVersion = (f: ServerMessage): f is Extract<ServerMessage, { type: "version"; channel: "user" }> => f.type === "version" && f.channel === "user";

async function welcomed(socket: TestSocket): Promise<ResumeGrant> {
  const welcome = await socket.next(isUserWelcome);
  expect(welcome.resume).toEqual({ credential: expect.any(String), expiresAt: expect.any(Number) });
  return welcome.resume as ResumeGrant;
}

/** A D1 binding that fails the test if anything touches it. */
const untouchableDb = new Proxy(env.DB, {
  get(_target, prop) {
    throw new Error(`D1 used on a resumed connect (${String(prop)})`);
  },
});

/** Opens `/ws/user` through the Worker with `bindings` swapped in (as test/faults.ts callWith does). */
async function upgradeWith(bindings: Partial<Env>, query: Record<string, string>): Promise<Response> {
  const url = new URL("/ws/user", ORIGIN);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return worker.fetch(new Request(url, { headers: { upgrade: "websocket" } }), { ...env, ...bindings }, createExecutionContext());
}

/** The hub's stored resume epoch: a row once an instance of it has taken a credential (src/realtime/resume-spends.ts). */
const resumeEpochAt = (user: TestUser) =>
  runInDurableObject(userHub(env, user.id), (_hub, state: DurableObjectState) => state.storage.sql.exec("SELECT epoch FROM resume_epoch").toArray());

function tamper(credential: string, change: (fields: unknown[]) => unknown[]): string {
  const [payload = "", signature = ""] = credential.split(".");
  const fields = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as unknown[];
  const forged = btoa(JSON.stringify(change(fields))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${forged}.${signature}`;
}

describe("resume credentials", () => {
  it("a reconnect with the welcome's credential opens the same user's socket without touching D1, and resumes its stream", async () => {
    const admin = await registerAdmin();
    const player = await registerUser();
    const first = await connectUser(player.token);
    const { credential } = await welcomed(first);
    const welcome = first.frames.find(isUserWelcome);
    first.close();
    await credit(admin, player.id, 70);

    const res = await upgradeWith({ DB: untouchableDb }, { resume: credential, since: "0", epoch: welcome?.epoch ?? "" });
    expect(res.status).toBe(101);
    const ws = res.webSocket as WebSocket;
    const frames: ServerMessage[] = [];
    ws.accept();
    ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data)) as ServerMessage));
    await expect.poll(() => frames.find(isUserWelcome), { timeout: 5_000 }).toBeTruthy();
    const events = frames.filter(isUserEvents).flatMap((f) => f.events);
    expect(events.find((e) => e.event === "balance:updated")?.data).toMatchObject({ balance: 70 });
    const resumed = frames.find(isUserWelcome);
    // Nothing was read from D1, so no version: the audit brings it.
    expect(resumed?.version).toBeUndefined();
    expect(resumed?.resume?.credential).not.toBe(credential);
    ws.close(1000, "done");
  });

  it("resumed connects with nothing to replay are counted in one line; a ticket's connect, a replay and a resync keep their own", async () => {
    const admin = await registerAdmin();
    const player = await registerUser();
    const { lines, counted, restore } = connectLines({ userId: player.id });
    const own = (auth: string) => lines.filter((l) => l.event === "ws_connect" && l.auth === auth);
    try {
      const firsts = await Promise.all(Array.from({ length: 4 }, () => connectUser(player.token)));
      const credentials = await Promise.all(firsts.map(async (socket) => (await welcomed(socket)).credential));
      const { epoch, seq } = firsts[0]?.frames.find(isUserWelcome) ?? { epoch: "", seq: 0 };
      for (const socket of firsts) socket.close();
      await credit(admin, player.id, 5);
      const [behind = "", elsewhere = "", ...rest] = credentials;
      const back = [
        // Behind the credit: it replays it.
        await connect("/ws/user", { query: { resume: behind, since: seq, epoch } }),
        // From a stream this hub never had: it resyncs.
        await connect("/ws/user", { query: { resume: elsewhere, since: seq, epoch: "AAAAAAAAAAAA" } }),
        // Nothing asked: nothing to replay.
        ...(await Promise.all(rest.map((resume) => connect("/ws/user", { query: { resume } })))),
      ];
      await Promise.all(back.map((socket) => socket.next(isUserWelcome)));
      await eventually(async () => counted(), (n) => n >= 2);
    } finally {
      restore();
    }
    expect(own("session")).toHaveLength(4);
    expect(own("resume")).toEqual([
      expect.objectContaining({ channel: "user", replayed: 1 }),
      expect.objectContaining({ channel: "user", resync: "epoch_changed" }),
    ]);
    expect(counted()).toBe(2);
    expect(lines.filter((l) => l.event === "ws_connects").every((l) => l.channel === "user" && l.userId === player.id)).toBe(true);
  });

  it("a resumed connect's audit is due after the storm it may be part of: between 4 and 12 s later, not inside the handshake", async () => {
    const player = await registerUser();
    const { credential } = await welcomed(await connectUser(player.token));
    const hub = userHub(env, player.id);
    const alarm = () => runInDurableObject(hub, (_hub, state: DurableObjectState) => state.storage.getAlarm());
    // The session's own connect read D1 in the Worker: its audit is the regular one.
    const regular = await eventually(alarm, (at) => at !== null);
    expect(regular).toBeGreaterThan(Date.now() + CONNECT_AUDIT_BOUND_MS);
    const connectedAt = Date.now();
    await (await connect("/ws/user", { query: { resume: credential } })).next(isUserWelcome);
    const due = (await eventually(alarm, (at) => at !== null && at < connectedAt + AUDIT_MS)) as number;
    expect(due).toBeGreaterThanOrEqual(connectedAt + CONNECT_AUDIT_AFTER_MS);
    expect(due).toBeLessThanOrEqual(Date.now() + CONNECT_AUDIT_BOUND_MS);
  });

  it("the hub instance that takes its first credential moves its resume epoch and hands its other sockets fresh credentials of it", async () => {
    const player = await registerUser();
    const stays = await connectUser(player.token);
    const leaves = await connectUser(player.token);
    const held = await welcomed(stays);
    const { credential } = await welcomed(leaves);
    leaves.close();
    const back = await connect("/ws/user", { query: { resume: credential } });
    const epochOf = async (grant: ResumeGrant | undefined) => (await verifyResume(env, grant?.credential ?? "", Date.now()))?.epoch;
    const before = (await epochOf(held)) ?? Number.NaN;
    expect(await epochOf((await back.next(isUserWelcome)).resume)).toBe(before + 1);
    const fresh = await stays.next((f): f is Extract<ServerMessage, { type: "credential" }> => f.type === "credential");
    expect(await epochOf(fresh.resume)).toBe(before + 1);
    expect(await resumeEpochAt(player)).toEqual([{ epoch: before + 1 }]);
    // Only the move does it: a second resume in the same instance hands nothing out.
    back.close();
    const again = await connect("/ws/user", { query: { resume: (await back.next(isUserWelcome)).resume?.credential ?? "" } });
    await again.next(isUserWelcome);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stays.frames.filter((f) => f.type === "credential")).toHaveLength(1);
  });

  it("is single use: the same credential a second time is refused, even through the Worker's own binding", async () => {
    const player = await registerUser();
    const { credential } = await welcomed(await connectUser(player.token));
    await connect("/ws/user", { query: { resume: credential } });
    const replayed = await upgrade("/ws/user", { query: { resume: credential } });
    expect(replayed.status).toBe(401);
    expect(replayed.webSocket).toBeNull();
  });

  it("refuses a forged credential: another user named under the real signature, a changed signature, another key", async () => {
    const victim = await registerUser("victim");
    const attacker = await registerUser("attacker");
    const { credential } = await welcomed(await connectUser(attacker.token));
    const renamed = tamper(credential, ([, session, exp, nonce, epoch]) => [victim.id, session, exp, nonce, epoch]);
    expect((await upgrade("/ws/user", { query: { resume: renamed } })).status).toBe(401);
    const lastChar = credential.at(-2) === "A" ? "B" : "A";
    const resigned = `${credential.slice(0, -2)}${lastChar}${credential.at(-1)}`;
    expect((await upgrade("/ws/user", { query: { resume: resigned } })).status).toBe(401);
    const otherKey = await mintResume({ ...env, RESUME_SECRET: "x".repeat(48) }, { userId: victim.id, sessionId: "s".repeat(64), epoch: 0 }, Date.now());
    expect((await upgrade("/ws/user", { query: { resume: otherKey?.credential ?? "" } })).status).toBe(401);
    expect((await upgrade("/ws/user", { query: { resume: "not-a-credential" } })).status).toBe(400);
    // The untouched credential still works: none of the above spent it.
    await (await connect("/ws/user", { query: { resume: credential } })).next(isUserWelcome);
  });

  it("refuses an expired credential", async () => {
    const player = await registerUser();
    await welcomed(await connectUser(player.token));
    const sessionId = await runInDurableObject(userHub(env, player.id), (_hub, state: DurableObjectState) => {
      const attachment = state.getWebSockets()[0]?.deserializeAttachment() as { sessionId: string };
      return attachment.sessionId;
    });
    const stale = await mintResume(env, { userId: player.id, sessionId, epoch: 0 }, Date.now() - RESUME_TTL_MS - 1);
    expect(stale).not.toBeNull();
    expect((await upgrade("/ws/user", { query: { resume: stale?.credential ?? "" } })).status).toBe(401);
  });

  it("another user's credential opens nothing at this user's hub: a hub only admits its own user, and spends nothing it refused", async () => {
    const alice = await registerUser("alice");
    const bob = await registerUser("bob");
    const { credential } = await welcomed(await connectUser(alice.token));
    const claim = await verifyResume(env, credential, Date.now());
    if (!claim) throw new Error("the welcome's credential does not verify");
    // What the Worker hands a hub for this credential, sent to the wrong hub.
    const headers = {
      upgrade: "websocket",
      [HUB_USER_HEADER]: claim.userId,
      [HUB_SESSION_HEADER]: claim.sessionId,
      [HUB_RESUME_NONCE_HEADER]: claim.nonce,
      [HUB_RESUME_EXPIRES_HEADER]: String(claim.expiresAt),
      [HUB_RESUME_EPOCH_HEADER]: String(claim.epoch),
    };
    const res = await userHub(env, bob.id).fetch(new Request("https://user-hub/connect", { headers }));
    expect(res.status).toBe(403);
    expect(res.webSocket).toBeNull();
    // Spent neither in storage nor by moving bob's epoch on (./resume-spends.ts).
    const spentAtBob = await runInDurableObject(userHub(env, bob.id), (_hub, state: DurableObjectState) => ({
      spent: state.storage.sql.exec("SELECT nonce FROM spent_resumes WHERE nonce = ?", claim.nonce).toArray(),
      epochs: state.storage.sql.exec("SELECT epoch FROM resume_epoch").toArray(),
    }));
    expect(spentAtBob).toEqual({ spent: [], epochs: [] });
    // The hub's own expiry check, for a claim past its time that reached it anyway.
    const late = await userHub(env, alice.id).fetch(new Request("https://user-hub/connect", { headers: { ...headers, [HUB_RESUME_EXPIRES_HEADER]: String(Date.now() - 1) } }));
    expect(late.status).toBe(401);
    const { [HUB_RESUME_EXPIRES_HEADER]: _expiry, ...undated } = headers;
    expect((await userHub(env, alice.id).fetch(new Request("https://user-hub/connect", { headers: undated }))).status).toBe(401);
    const { [HUB_RESUME_EPOCH_HEADER]: _epoch, ...unnumbered } = headers;
    expect((await userHub(env, alice.id).fetch(new Request("https://user-hub/connect", { headers: unnumbered }))).status).toBe(401);
    expect(await resumeEpochAt(alice)).toEqual([]);
    await (await connect("/ws/user", { query: { resume: credential } })).next(isUserWelcome);
  });

  it("a logged-out session's credential is refused, and a session revoked behind the hub's back is closed by its audit", async () => {
    const player = await registerUser();
    const { credential } = await welcomed(await connectUser(player.token));
    expect((await call("POST", "/api/auth/logout", { token: player.token })).status).toBe(204);
    expect((await upgrade("/ws/user", { query: { resume: credential } })).status).toBe(401);
    expect(await resumeEpochAt(player)).toEqual([]);

    const other: TestUser = await registerUser();
    const socket = await connectUser(other.token);
    await welcomed(socket);
    // Revoked in D1 without the hub being told (the logout's RPC to the hub was lost).
    await env.DB.prepare("UPDATE sessions SET revoked_at = ? WHERE user_id = ?").bind(Date.now(), other.id).run();
    expect(await runDurableObjectAlarm(userHub(env, other.id))).toBe(true);
    expect((await socket.closed).code).toBe(4001);
  });

  it("the audit sends D1's account version and a fresh credential of its own to every socket, also two of one session", async () => {
    const player = await registerUser();
    const socket = await connectUser(player.token);
    const { credential } = await welcomed(socket);
    const tab = await connectUser(player.token);
    await welcomed(tab);
    // A change whose publish never happened: D1 only.
    await env.DB.prepare("UPDATE users SET version = version + 1 WHERE id = ?").bind(player.id).run();
    expect(await runDurableObjectAlarm(userHub(env, player.id))).toBe(true);
    const audit = await socket.next(isVersion);
    expect(audit.version).toBe(1);
    expect(audit.resume?.credential).toEqual(expect.any(String));
    expect(audit.resume?.credential).not.toBe(credential);
    const other = await tab.next(isVersion);
    expect(other.resume?.credential).not.toBe(audit.resume?.credential);
    // Both come back: neither spent the other's.
    for (const grant of [audit.resume, other.resume]) await (await connect("/ws/user", { query: { resume: grant?.credential ?? "" } })).next(isUserWelcome);
  });
});
