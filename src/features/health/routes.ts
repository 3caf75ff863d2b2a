import type { IRequest } from "itty-router";
import { sql } from "drizzle-orm";
import { createDb } from "../../db/client";
import { log } from "../../lib/log";

/** Uptime monitors: 200 while D1 answers, 503 when it does not. */
export async function handleHealth(_request: IRequest, env: Env): Promise<Response> {
  let db: "ok" | "down" = "ok";
  try {
    await createDb(env.DB).run(sql`SELECT 1`);
  } catch (err) {
    db = "down";
    log("error", "health_db_down", { error: String(err) });
  }
  const ok = db === "ok";
  return Response.json(
    { status: ok ? "ok" : "degraded", db, timestamp: new Date().toISOString(), version: env.APP_VERSION },
    { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
