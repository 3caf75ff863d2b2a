import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { createRealtime, type Realtime } from "../../../src/client/index";
import { verifyResume } from "../../../src/realtime/resume";
import { userHub } from "../../../src/realtime/stubs";
import { registerUser, ORIGIN, type TestUser } from "../../helpers";
import { workerSockets, type WorkerSockets } from "./sdk-socket";
import { closeAll, connect, connectUser, eventually, isUserWelcome } from "./sockets";

// The SDK's side of a restart: the server is down for a moment, every socket dropped. An attempt
// that never reached a hub did not spend the hub's resume credential, so the next one presents it
// again: no ticket (a D1 write each, in a storm of them). Two failures and it falls back.

const clients: Realtime[] = [];
afterEach(async () => {
  for (const rt of clients.splice(0)) rt.close();
  await closeAll();
});

function online(player: TestUser): { rt: Realtime; network: WorkerSockets } {
  const network = workerSockets(() => player.token);
  const rt = createRealtime({
    baseUrl: ORIGIN,
    auth: { kind: "cookie" },
    WebSocket: network.WebSocket,
    tuning: { minDelayMs: 20, maxDelayMs: 40, heartbeatMs: 60_000 },
  });
  clients.push(rt);
  return { rt, network };
}

const privateAttempts = (network: WorkerSockets) => network.attempts.filter((url) => new URL(url).pathname === "/ws/user");
const credentialOf = (url: string | undefined) => (url === undefined ? null : new URL(url).searchParams.get("resume"));

/** The hub drops the player's sockets, as a deploy does. */
async function restart(player: TestUser): Promise<void> {
  await runInDurableObject(userHub(env, player.id), (_hub, state: DurableObjectState) => {
    for (const ws of state.getWebSockets()) ws.close(1012, "restarting");
  });
}

describe("the SDK's resume credential across a restart", () => {
  it("an attempt that never reached the server keeps the credential: the next one resumes with it, no ticket, no D1 read", async () => {
    const player = await registerUser();
    const { rt, network } = online(player);
    await eventually(async () => rt.sockets.user, (state) => state === "open");
    const before = privateAttempts(network).length;
    expect(credentialOf(privateAttempts(network)[0])).toBeNull();

    network.refuse = 1;
    await restart(player);
    await eventually(async () => rt.sockets.user, (state) => state === "open");

    expect(privateAttempts(network).length).toBe(before + 2);
    const [down, back] = privateAttempts(network).slice(before);
    expect(credentialOf(down)).not.toBeNull();
    expect(credentialOf(back)).toBe(credentialOf(down));
    // The hub admitted it on the credential: such a socket carries no account version read from D1.
    const auth = await runInDurableObject(userHub(env, player.id), (_hub, state: DurableObjectState) =>
      state.getWebSockets().map((ws) => (ws.deserializeAttachment() as { accountVersion: number | null }).accountVersion),
    );
    expect(auth).toEqual([null]);
  });

  it("keeps the fresh credential its hub sends when the hub moves its resume epoch, and comes back on it", async () => {
    const player = await registerUser();
    const { rt, network } = online(player);
    await eventually(async () => rt.sockets.user, (state) => state === "open");
    // Another device of the player resumes: the hub's first credential in this instance moves its epoch on.
    const other = await connectUser(player.token);
    const { credential } = (await other.next(isUserWelcome)).resume ?? { credential: "" };
    other.close();
    const moved = await connect("/ws/user", { query: { resume: credential } });
    const epoch = (await verifyResume(env, (await moved.next(isUserWelcome)).resume?.credential ?? "", Date.now()))?.epoch;
    expect(epoch).toBe(((await verifyResume(env, credential, Date.now()))?.epoch ?? Number.NaN) + 1);
    // Given a moment for the hub's fresh credential to reach the SDK's socket.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = privateAttempts(network).length;

    await restart(player);
    await eventually(async () => rt.sockets.user, (state) => state === "open");
    const [back] = privateAttempts(network).slice(before);
    expect((await verifyResume(env, credentialOf(back) ?? "", Date.now()))?.epoch).toBe(epoch);
  });

  it("after two failed attempts with one credential the next one uses the session, so a spent credential cannot keep it away", async () => {
    const player = await registerUser();
    const { rt, network } = online(player);
    await eventually(async () => rt.sockets.user, (state) => state === "open");
    const before = privateAttempts(network).length;

    network.refuse = 2;
    await restart(player);
    await eventually(async () => rt.sockets.user, (state) => state === "open");

    expect(privateAttempts(network).length).toBe(before + 3);
    const [first, second, third] = privateAttempts(network).slice(before);
    expect(credentialOf(first)).not.toBeNull();
    expect(credentialOf(second)).toBe(credentialOf(first));
    expect(credentialOf(third)).toBeNull();
  });
});
