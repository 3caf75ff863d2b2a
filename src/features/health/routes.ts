import { checkBroadcaster, checkD1, checkHubs } from "./checks";
import type { HealthReport } from "./schemas";

function overall(checks: HealthReport["checks"]): HealthReport["status"] {
  if (checks.d1.status === "down") return "down";
  return Object.values(checks).every((c) => c.status === "ok") ? "ok" : "degraded";
}

/**
 * Uptime monitors: which part is down, and 503 only when D1 is (no money moves without it).
 * Realtime trouble (broadcaster, hubs) is `degraded` with 200: the API still serves and clients
 * recover by refetching. The checks run in parallel, each with its own deadline.
 */
export async function handleHealth(_request: Request, env: Env): Promise<Response> {
  const [d1, live, hubs] = await Promise.all([checkD1(env), checkBroadcaster(env), checkHubs(env)]);
  const checks = { d1: d1.check, broadcaster: live.check, hubs: hubs.check };
  const status = overall(checks);
  const stats = live.value;
  const report: HealthReport = {
    status,
    checks,
    db: d1.check.status === "down" ? "down" : "ok",
    websocket: stats && stats.clients > 0 ? "active" : "idle",
    clients: stats?.clients ?? 0,
    players: stats?.players ?? 0,
    ...(stats ? {} : { realtime: "down" as const }),
    timestamp: new Date().toISOString(),
    version: env.APP_VERSION,
  };
  return Response.json(report, { status: status === "down" ? 503 : 200, headers: { "cache-control": "no-store" } });
}
