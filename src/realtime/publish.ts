import { log } from "../lib/log";
import { queueDrops } from "./drop-batcher";
import { broadcaster, userHub } from "./stubs";
import type { PrivateEvent, PublicEvent } from "./events";

/**
 * The Worker's only way to reach sockets. Called after the D1 batch committed; a failed
 * publish is logged and never fails the user's request (clients recover by resync).
 */
export interface Realtime {
  /** One RPC to the user's hub, awaited so the event can reach the player before the HTTP response. */
  toUser(userId: string, events: PrivateEvent[]): Promise<void>;
  /**
   * Public events, in the background: they never delay a response. Catalogue changes go to the
   * broadcaster at once (one RPC); drops are batched per isolate first (see ./drop-batcher.ts).
   */
  toLobby(events: PublicEvent[]): void;
  /** Closes the sockets a revoked session opened. */
  endSession(userId: string, sessionId: string): Promise<void>;
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
      queueDrops(env, ctx, events.flatMap((e) => (e.event === "drops:new" ? [e.data] : [])));
      const immediate = events.filter((e) => e.event !== "drops:new");
      if (immediate.length === 0) return;
      ctx.waitUntil(
        broadcaster(env)
          .publish(immediate)
          .catch((err: unknown) => log("warn", "publish_failed", { scope: "lobby", events: immediate.map((e) => e.event), error: String(err) })),
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
