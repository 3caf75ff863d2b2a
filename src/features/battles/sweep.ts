import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { battles } from "../../db/schema";
import { log } from "../../lib/log";
import { battleRoom } from "../../realtime/stubs";

/** A room this late with its expiry or its settlement lost its alarm (or never got one: a lost sync after create). */
const OVERDUE_MS = 60_000;

/**
 * The hourly backstop behind the rooms' alarms: every battle whose expiry or finish is overdue is
 * handed to its room, which does the work (refund or settle, guarded in D1 as always). Scans the
 * battles that are not over; there are few at any time.
 */
export async function sweepBattles(db: Db, env: Env, at: number): Promise<number> {
  const due = at - OVERDUE_MS;
  const rows = await db
    .select({ id: battles.id })
    .from(battles)
    .where(
      sql`(${battles.status} = 'waiting' AND ${battles.expiresAt} <= ${due}) OR (${battles.status} = 'running' AND ${battles.startedAt} + (json_array_length(${battles.rounds}) + 1) * ${battles.roundMs} <= ${due})`,
    );
  const results = await Promise.allSettled(rows.map((r) => battleRoom(env, r.id).sync()));
  results.forEach((r, i) => {
    if (r.status === "rejected") log("warn", "battle_sweep_failed", { battleId: rows[i]?.id, error: String(r.reason) });
  });
  return rows.length;
}
