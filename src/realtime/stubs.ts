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

const SHARD_NAME = /^shard:(0|[1-9][0-9]{0,8})$/;

export function lobbyShard(env: Env, index: number) {
  return env.LOBBY_SHARD.get(env.LOBBY_SHARD.idFromName(`shard:${index}`));
}

/** More shards than the lobby's model needs at 1M sockets (667 at 2,000 a shard): where {@link shardIndexFor} stops looking. */
const MAX_SHARD_INDEX = 4096;

/**
 * A lobby shard's index from its id alone. The runtime can start an object without its name (for an
 * alarm due across a restart, `ctx.id.name` is undefined, and stays so for that instance), so a shard
 * recognises its own id among the names lobbyShard() gives out: a hash per candidate, only then.
 */
export function shardIndexFor(env: Env, id: DurableObjectId): number | null {
  const named = shardIndexOf(id.name);
  if (named !== null) return named;
  for (let index = 0; index < MAX_SHARD_INDEX; index++) {
    if (env.LOBBY_SHARD.idFromName(`shard:${index}`).equals(id)) return index;
  }
  return null;
}

/** The index a lobby shard was named with ({@link lobbyShard}), or null for any other name. */
export function shardIndexOf(name: string | undefined): number | null {
  const match = name === undefined ? null : SHARD_NAME.exec(name);
  return match ? Number(match[1]) : null;
}
