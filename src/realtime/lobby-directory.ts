import { log } from "../lib/log";
import { DIRECTORY_TTL_MS, type LobbyDirectory } from "./broadcaster";
import { minShards } from "./lobby-budget";
import { broadcaster } from "./stubs";

// Per isolate, shared by its requests: a connect costs one broadcaster RPC per isolate per
// DIRECTORY_TTL_MS at most, never a D1 read. Sockets this isolate placed since are counted in,
// so a connect storm through one isolate spreads over the shards instead of piling on one.
let cached: { at: number; directory: LobbyDirectory } | null = null;
let asking: Promise<LobbyDirectory> | null = null;

async function currentDirectory(env: Env): Promise<LobbyDirectory | null> {
  if (cached && Date.now() - cached.at < DIRECTORY_TTL_MS) return cached.directory;
  asking ??= broadcaster(env)
    .directory()
    .then((directory) => {
      cached = { at: Date.now(), directory };
      return directory;
    })
    .finally(() => (asking = null));
  try {
    return await asking;
  } catch (err) {
    log("warn", "lobby_directory_failed", { error: String(err) });
    // An older directory beats none; with none at all, the floor's shards still get every frame.
    return cached?.directory ?? null;
  }
}

/**
 * The shard for a new lobby socket: one with room, chosen at random weighted by its room, so new
 * shards fill first and none is picked far past the target while the directory is fresh.
 */
export async function placeLobbySocket(env: Env, random: () => number = Math.random): Promise<number> {
  const directory = await currentDirectory(env);
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
}
