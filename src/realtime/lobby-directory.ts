import { log } from "../lib/log";
import { DIRECTORY_TTL_MS, type LobbyDirectory } from "./broadcaster";
import { minShards } from "./lobby-budget";
import { broadcaster } from "./stubs";

// Per isolate, shared by its requests: a connect costs one broadcaster RPC per isolate per
// DIRECTORY_TTL_MS at most, never a D1 read. Sockets this isolate placed since are counted in,
// so a connect storm through one isolate spreads over the shards instead of piling on one.
let cached: { at: number; directory: LobbyDirectory } | null = null;
let asking: { since: number; answer: Promise<LobbyDirectory> } | null = null;
/** Bumped by forgetLobbyDirectory(): an answer to an older question is not kept. */
let generation = 0;

/** A refresh that has not answered in this long is asked again (its RPC may have been dropped). */
const ASK_TIMEOUT_MS = 10_000;

function refresh(env: Env): Promise<LobbyDirectory> {
  if (asking && Date.now() - asking.since < ASK_TIMEOUT_MS) return asking.answer;
  const asked = generation;
  const answer = broadcaster(env)
    .directory()
    .then((directory) => {
      if (asked === generation) cached = { at: Date.now(), directory };
      return directory;
    })
    .finally(() => {
      if (asking?.answer === answer) asking = null;
    });
  asking = { since: Date.now(), answer };
  return answer;
}

/**
 * The isolate's directory. Once it has one, a stale one is used while the fresh one is on its way
 * (kept alive by the request's `waitUntil`, as that request may have answered already): in a restart's
 * storm the broadcaster is busy with every object's presence report, and a connect waiting for its
 * answer would wait behind all of them (BENCHMARKS.md, "Restart with 1,000 players"). Placement a
 * few seconds stale only spreads sockets a little less evenly.
 */
async function currentDirectory(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): Promise<LobbyDirectory | null> {
  if (cached) {
    if (Date.now() - cached.at >= DIRECTORY_TTL_MS) ctx.waitUntil(refreshOrNull(env));
    return cached.directory;
  }
  // With none at all, the floor's shards still get every frame.
  return refreshOrNull(env);
}

/** A refresh whose failure is logged and answered with no directory. */
function refreshOrNull(env: Env): Promise<LobbyDirectory | null> {
  return refresh(env).catch((err: unknown) => {
    log("warn", "lobby_directory_failed", { error: String(err) });
    return null;
  });
}

/**
 * The shard for a new lobby socket: one with room, chosen at random weighted by its room, so new
 * shards fill first and none is picked far past the target while the directory is fresh.
 */
export async function placeLobbySocket(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, random: () => number = Math.random): Promise<number> {
  const directory = await currentDirectory(env, ctx);
  if (!directory || directory.sockets.length === 0) return Math.floor(random() * minShards(env));
  const room = directory.sockets.map((n) => Math.max(directory.target - n, 1));
  let pick = random() * room.reduce((a, b) => a + b, 0);
  let shard = room.length - 1;
  for (let i = 0; i < room.length; i++) {
    pick -= room[i] ?? 0;
    if (pick < 0) {
      shard = i;
      break;
    }
  }
  directory.sockets[shard] = (directory.sockets[shard] ?? 0) + 1;
  return shard;
}

/** Forgets the isolate's directory (tests that change the lobby's size between connects). */
export function forgetLobbyDirectory(): void {
  cached = null;
  asking = null;
  generation++;
}
