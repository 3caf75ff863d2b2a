import { log } from "../lib/log";
import { queueDrops } from "./drop-batcher";
import { battleRoom, broadcaster, userHub } from "./stubs";
import type { PrivateEvent, PublicEvent } from "./events";

/**
 * The Worker's only way to reach sockets. Called after the D1 batch committed; a failed or hung
 * publish is logged and never fails the user's request (clients detect the gap and resync).
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
  /**
   * Tells a battle's room that D1 changed (a seat taken, the start, a cancel): it reads the battle
   * and sends what is due. Awaited within the hub deadline; a lost call is caught up by the room's
   * next alarm (its expiry at the latest) and by the hourly sweep.
   */
  toBattle(battleId: string): Promise<void>;
}

/**
 * How long a request waits for the user's hub. The event normally arrives before the response; a
 * hub that does not answer must not hold the player's committed request hostage. A publish that
 * lands after this is still delivered (events carry versions); one that never lands is found by
 * the client from the account version (the SDK's gap detection, README "Resume and resync").
 */
export const HUB_DEADLINE_MS = 1_000;

function withinDeadline<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HUB_DEADLINE_MS} ms`)), HUB_DEADLINE_MS);
  });
  return Promise.race([work, late]).finally(() => timer !== undefined && clearTimeout(timer));
}

export function realtime(env: Env, ctx: ExecutionContext): Realtime {
  return {
    async toUser(userId, events) {
      if (events.length === 0) return;
      try {
        await withinDeadline(userHub(env, userId).publish(events));
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
    async toBattle(battleId) {
      try {
        await withinDeadline(battleRoom(env, battleId).sync());
      } catch (err) {
        log("warn", "publish_failed", { scope: "battle", battleId, error: String(err) });
      }
    },
    async endSession(userId, sessionId) {
      try {
        await withinDeadline(userHub(env, userId).endSession(sessionId));
      } catch (err) {
        log("warn", "end_session_failed", { userId, error: String(err) });
      }
    },
  };
}
