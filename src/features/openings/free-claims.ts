import { and, asc, eq, isNotNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { cases, freeClaims } from "../../db/schema";
import { freeCaseCooldown, unprocessable } from "../../http/errors";
import type { Award } from "./award";
import type { FreeCaseList } from "./schemas";

/**
 * The cooldown of free cases, in SQL. A free open's award batch first upserts the player's claim on
 * the case, and the upsert's WHERE refuses while the last open is within the cooldown; the award's
 * ledger entry is guarded on the claim now naming that entry, so a refused claim writes nothing and
 * the items' foreign key to the entry aborts the batch (see ./award.ts). D1 runs batches one at a
 * time, so of any number of simultaneous free opens exactly one finds the claim free.
 */

const cooldownEnd = (lastOpenedAt: number, cooldownSeconds: number) => lastOpenedAt + cooldownSeconds * 1000;

/** The upsert that takes the claim for this award, or changes nothing within the cooldown. */
export function claimFreeOpen(db: Db, award: Award, cooldownSeconds: number) {
  return db
    .insert(freeClaims)
    .values({ userId: award.userId, caseId: award.target.id, lastOpenedAt: award.at, ledgerId: award.ledgerId })
    .onConflictDoUpdate({
      target: [freeClaims.userId, freeClaims.caseId],
      set: { lastOpenedAt: award.at, ledgerId: award.ledgerId },
      setWhere: sql`${freeClaims.lastOpenedAt} <= ${award.at - cooldownSeconds * 1000}`,
    });
}

/** True once the batch's claim names this award's entry: the guard of the entry. */
export function claimTaken(award: Award): SQL {
  return sql`EXISTS (SELECT 1 FROM ${freeClaims} WHERE ${freeClaims.userId} = ${award.userId} AND ${freeClaims.caseId} = ${award.target.id} AND ${freeClaims.ledgerId} = ${award.ledgerId})`;
}

/**
 * For the cold path's nonce reservation: false when the case (matched by `caseMatch`) is free and
 * this open would be refused anyway (more than one, or within the cooldown), so a refusal writes nothing.
 */
export function freeOpenAllowed(userId: SQL, caseMatch: SQL | undefined, count: number, at: number): SQL {
  const withinCooldown = sql`EXISTS (SELECT 1 FROM ${freeClaims} WHERE ${freeClaims.userId} = ${userId} AND ${freeClaims.caseId} = ${cases.id} AND ${freeClaims.lastOpenedAt} > ${at} - ${cases.freeCooldownSeconds} * 1000)`;
  return sql`NOT EXISTS (SELECT 1 FROM ${cases} WHERE ${caseMatch} AND ${cases.freeCooldownSeconds} IS NOT NULL AND (${count} > 1 OR ${withinCooldown}))`;
}

/** The player's claim on the case matched by `caseMatch`, as a batch statement (no row: never opened). */
export function claimQuery(db: Db, userId: SQL | string, caseMatch: SQL | undefined) {
  return db
    .select({ lastOpenedAt: freeClaims.lastOpenedAt })
    .from(freeClaims)
    .innerJoin(cases, eq(cases.id, freeClaims.caseId))
    .where(and(sql`${freeClaims.userId} = ${userId}`, caseMatch));
}

/** Refuses a free open the rules do not allow: 422 for more than one at once, 429 within the cooldown. */
export function assertFreeOpenAllowed(cooldownSeconds: number, lastOpenedAt: number | undefined, count: number, at: number): void {
  if (count > 1) throw unprocessable("free_case_single", "A free case opens one at a time.");
  if (lastOpenedAt === undefined) return;
  const end = cooldownEnd(lastOpenedAt, cooldownSeconds);
  if (end > at) throw freeCaseCooldown((end - at) / 1000);
}

/** When the player may open a free case next, or null for now. */
export function nextFreeOpenAt(cooldownSeconds: number, lastOpenedAt: number | null, at: number): number | null {
  if (lastOpenedAt === null) return null;
  const end = cooldownEnd(lastOpenedAt, cooldownSeconds);
  return end > at ? end : null;
}

/** Every active free case with the player's next free open, in one query. */
export async function listFreeCases(db: Db, userId: string, at: number): Promise<FreeCaseList> {
  const rows = await db
    .select({ caseId: cases.id, slug: cases.slug, cooldownSeconds: cases.freeCooldownSeconds, lastOpenedAt: freeClaims.lastOpenedAt })
    .from(cases)
    .leftJoin(freeClaims, and(eq(freeClaims.caseId, cases.id), eq(freeClaims.userId, userId)))
    .where(and(eq(cases.active, true), isNotNull(cases.freeCooldownSeconds)))
    .orderBy(asc(cases.name));
  return {
    serverTime: at,
    cases: rows.map((row) => {
      const cooldownSeconds = row.cooldownSeconds ?? 0;
      return { caseId: row.caseId, slug: row.slug, cooldownSeconds, lastOpenedAt: row.lastOpenedAt, nextOpenAt: nextFreeOpenAt(cooldownSeconds, row.lastOpenedAt, at) };
    }),
  };
}
