/** Stubs for the realtime Durable Objects, named the one way everything addresses them. */

export function userHub(env: Env, userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

/** A battle's room: one per battle, named by the battle's id. */
export function battleRoom(env: Env, battleId: string) {
  return env.BATTLE.get(env.BATTLE.idFromName(battleId));
}

export function broadcaster(env: Env) {
  return env.BROADCASTER.get(env.BROADCASTER.idFromName("global"));
}

/** LOBBY_SHARDS from wrangler.toml: how many LobbyShard objects hold the lobby's sockets (at least 1). */
export function shardCount(env: Env): number {
  const n = Number(env.LOBBY_SHARDS);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

const SHARD_NAME = /^shard:(0|[1-9][0-9]{0,8})$/;

export function lobbyShard(env: Env, index: number) {
  return env.LOBBY_SHARD.get(env.LOBBY_SHARD.idFromName(`shard:${index}`));
}

/** The index a lobby shard was named with ({@link lobbyShard}), or null for any other name. */
export function shardIndexOf(name: string | undefined): number | null {
  const match = name === undefined ? null : SHARD_NAME.exec(name);
  return match ? Number(match[1]) : null;
}
