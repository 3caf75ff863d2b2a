import { log } from "../lib/log";
import type { PrivateEvent, PublicEvent } from "./events";

/**
 * The Worker's only way to reach sockets. Called after the D1 batch committed; a failed
 * publish is logged and never fails the user's request (clients recover by resync).
 */
export interface Realtime {
  /** One RPC to the user's hub, awaited so the event can reach the player before the HTTP response. */
  toUser(userId: string, events: PrivateEvent[]): Promise<void>;
  /** One RPC to the broadcaster, in the background: public events never delay a response. */
  toLobby(events: PublicEvent[]): void;
  /** Closes the sockets a revoked session opened. */
  endSession(userId: string, sessionId: string): Promise<void>;
}

export function userHub(env: Env, userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

export function broadcaster(env: Env) {
  return env.BROADCASTER.get(env.BROADCASTER.idFromName("global"));
}

/** LOBBY_SHARDS from wrangler.toml: how many LobbyShard objects hold the lobby's sockets (at least 1). */
export function shardCount(env: Env): number {
  const n = Number(env.LOBBY_SHARDS);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

export function lobbyShard(env: Env, index: number) {
  return env.LOBBY_SHARD.get(env.LOBBY_SHARD.idFromName(`shard:${index}`));
}

export function realtime(env: Env, ctx: ExecutionContext): Realtime {
  return {
    async toUser(userId, events) {
      if (events.length === 0) return;
      try {
        await userHub(env, userId).publish(events);
      } catch (err) {
        log("warn", "publish_failed", { scope: "user", userId, events: events.map((e) => e.event), error: String(err) });
      }
    },
    toLobby(events) {
      if (events.length === 0) return;
      ctx.waitUntil(
        broadcaster(env)
          .publish(events)
          .catch((err: unknown) => log("warn", "publish_failed", { scope: "lobby", events: events.map((e) => e.event), error: String(err) })),
      );
    },
    async endSession(userId, sessionId) {
      try {
        await userHub(env, userId).endSession(sessionId);
      } catch (err) {
        log("warn", "end_session_failed", { userId, error: String(err) });
      }
    },
  };
}
