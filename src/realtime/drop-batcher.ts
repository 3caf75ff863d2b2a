import { log } from "../lib/log";
import type { Drop } from "./events";
import type { HeldDrop } from "./held-drops";
import { revealAtFor } from "./reveal";
import { broadcaster } from "./stubs";

/**
 * How long an isolate collects drops before handing them to the broadcaster in one RPC (the
 * broadcaster then holds each until its reveal time and coalesces what is due into lobby frames).
 * Far shorter than the reveal, so the batching never delays a drop past it.
 */
const ISOLATE_BATCH_MS = 200;
/** The feed shows the newest few; under a burst older drops are dropped here already. */
export const ISOLATE_BATCH_MAX_DROPS = 50;

// Module state is per isolate and shared by its requests: that is the point. A lost isolate
// loses at most one window of the live feed, which is decoration, never money.
const pending: HeldDrop[] = [];
let flushScheduled = false;

/**
 * Queues drops for the lobby, each stamped with its reveal time (now: call it as the opening is
 * answered). The global broadcaster then sees a few calls a second per isolate instead of one per
 * opening, which keeps the one global object off the hot path.
 */
export function queueDrops(env: Env, ctx: ExecutionContext, drops: readonly Drop[]): void {
  if (drops.length === 0) return;
  const revealAt = revealAtFor(env, Date.now());
  pending.push(...drops.map((drop) => ({ drop, revealAt })));
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
    await broadcaster(env).hold(batch);
  } catch (err) {
    log("warn", "publish_failed", { scope: "lobby", events: ["drops:new"], drops: batch.length, error: String(err) });
  }
}
