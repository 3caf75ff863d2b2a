import { sql } from "drizzle-orm";
import { directoryDb } from "../../db/databases";
import { log } from "../../lib/log";
import type { RealtimeStats } from "../../realtime/presence-store";
import { broadcaster, userHub } from "../../realtime/stubs";
import type { HealthCheck } from "./schemas";

/** A check that has not answered by then is down: a monitor must get an answer, not a hung request. */
export const CHECK_TIMEOUT_MS = 2_000;

/**
 * The hub the health check wakes. Hubs are named by user id (a UUID), so this name is never a
 * player's hub; it proves the UserHub class loads and answers, without waking anyone's.
 */
export const PROBE_HUB = "health:probe";

export type Check = HealthCheck;

export interface Probed<T> {
  check: Check;
  value: T | null;
}

/** Runs one probe with a deadline; a failure is logged for operators and never reaches the client. */
async function probe<T>(name: string, run: () => Promise<T>): Promise<Probed<T>> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    const value = await Promise.race([run(), deadline]);
    return { check: { status: "ok", ms: Date.now() - started }, value };
  } catch (err) {
    log("error", "health_check_failed", { check: name, error: String(err) });
    return { check: { status: "down", ms: Date.now() - started }, value: null };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export function checkD1(env: Env): Promise<Probed<true>> {
  return probe("d1", async () => {
    await directoryDb(env).run(sql`SELECT 1`);
    return true as const;
  });
}

/** Socket counts as the broadcaster holds them (hubs and shards report theirs): one object woken. */
export function checkBroadcaster(env: Env): Promise<Probed<RealtimeStats>> {
  return probe("broadcaster", () => broadcaster(env).stats());
}

/** A hub answers a request that is not an upgrade with 426; anything else means the class is broken. */
export function checkHubs(env: Env): Promise<Probed<true>> {
  return probe("hubs", async () => {
    const res = await userHub(env, PROBE_HUB).fetch(new Request("https://user-hub/health"));
    await res.body?.cancel();
    if (res.status !== 426) throw new Error(`probe hub answered ${res.status}`);
    return true as const;
  });
}
