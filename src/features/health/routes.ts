import type { IRequest } from "itty-router";
import { sql } from "drizzle-orm";
import { createDb } from "../../db/client";
import { log } from "../../lib/log";
import { broadcaster } from "../../realtime/stubs";
import type { RealtimeStats } from "../../realtime/broadcaster";
import type { HealthReport } from "./schemas";

/**
 * Socket counts as the broadcaster holds them (hubs and shards report theirs), so a health check
 * wakes one object, never every hub. Realtime trouble is reported but does not fail the check.
 */
async function realtimeStats(env: Env): Promise<RealtimeStats | null> {
  try {
    return await broadcaster(env).stats();
  } catch (err) {
    log("error", "health_realtime_down", { error: String(err) });
    return null;
  }
}

/** Uptime monitors: 200 while D1 answers, 503 when it does not. */
export async function handleHealth(_request: IRequest, env: Env): Promise<Response> {
  let db: "ok" | "down" = "ok";
  const stats = realtimeStats(env);
  try {
    await createDb(env.DB).run(sql`SELECT 1`);
  } catch (err) {
    db = "down";
    log("error", "health_db_down", { error: String(err) });
  }
  const ok = db === "ok";
  const live = await stats;
  const realtime = {
    websocket: live && live.clients > 0 ? ("active" as const) : ("idle" as const),
    clients: live?.clients ?? 0,
    players: live?.players ?? 0,
    ...(live ? {} : { realtime: "down" as const }),
  };
  const report: HealthReport = { status: ok ? "ok" : "degraded", db, ...realtime, timestamp: new Date().toISOString(), version: env.APP_VERSION };
  return Response.json(
    report,
    { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
