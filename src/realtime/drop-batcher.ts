import { log } from "../lib/log";
import type { Drop } from "./events";
import { broadcaster } from "./stubs";

/**
 * How long an isolate collects drops before handing them to the broadcaster in one RPC (the
 * broadcaster then coalesces all isolates' batches into lobby frames: LOBBY_FRAME_WINDOW_MS).
 */
const ISOLATE_BATCH_MS = 200;
/** The feed shows the newest few; under a burst older drops are dropped here already. */
export const ISOLATE_BATCH_MAX_DROPS = 50;

// Module state is per isolate and shared by its requests: that is the point. A lost isolate
// loses at most one window of the live feed, which is decoration, never money.
const pending: Drop[] = [];
let flushScheduled = false;

/**
 * Queues drops for the lobby. The global broadcaster then sees a few calls a second per
 * isolate instead of one per opening, which keeps the one global object off the hot path.
 */
export function queueDrops(env: Env, ctx: ExecutionContext, drops: readonly Drop[]): void {
  if (drops.length === 0) return;
  pending.push(...drops);
  if (pending.length > ISOLATE_BATCH_MAX_DROPS) pending.splice(0, pending.length - ISOLATE_BATCH_MAX_DROPS);
  if (flushScheduled) return;
  flushScheduled = true;
  ctx.waitUntil(flushAfterWindow(env));
}

async function flushAfterWindow(env: Env): Promise<void> {
  await scheduler.wait(ISOLATE_BATCH_MS);
  const batch = pending.splice(0);
  flushScheduled = false;
  if (batch.length === 0) return;
  try {
    await broadcaster(env).publish(batch.map((data) => ({ event: "drops:new" as const, data })));
  } catch (err) {
    log("warn", "publish_failed", { scope: "lobby", events: ["drops:new"], drops: batch.length, error: String(err) });
  }
}
