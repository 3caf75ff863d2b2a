import { and, eq, gt, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { bound, selectInColumnOrder } from "../../db/insert-select";
import { realtimeTickets, sessions, users } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { toPublicUser, type PublicUser } from "../users/model";
import { liveSessionUserId, sessionUserQuery } from "../users/queries";

/**
 * Long enough to open a socket after fetching it even when the upgrade waits in a queue (in the
 * reconnect bench's storm it waited 30 s and more: a 30 s ticket had expired by then, so the attempt
 * failed and was redone), short enough that a leaked URL soon is worthless; single-use either way.
 */
export const TICKET_TTL_MS = 120_000;

export interface TicketGrant {
  userId: string;
  sessionId: string;
}

/**
 * Issues a single-use ticket for the private socket to the live session `sessionId`, in one round
 * trip: every reconnect of a non-cookie client fetches one, so a reconnect storm pays this once per
 * client. The batch reads the session's user (for the route's policy), sweeps the user's expired
 * tickets (so the table stays as small as the live ones) and inserts the ticket only if the session
 * is live. Only the ticket's hash is stored, like session tokens. `user` is null for a dead session,
 * and then nothing was written.
 */
export async function issueTicket(db: Db, sessionId: string, at: number): Promise<{ user: PublicUser | null; ticket: string; expiresAt: number }> {
  const ticket = randomToken(32);
  const expiresAt = at + TICKET_TTL_MS;
  const live = and(eq(sessions.id, sessionId), sql`${sessions.revokedAt} IS NULL`, sql`${sessions.expiresAt} > ${at}`);
  const [holders] = await db.batch([
    sessionUserQuery(db, sessionId, at),
    db.delete(realtimeTickets).where(and(sql`${realtimeTickets.userId} = ${liveSessionUserId(sessionId, at)}`, lte(realtimeTickets.expiresAt, at))),
    db.insert(realtimeTickets).select(
      db
        .select(selectInColumnOrder(realtimeTickets, { id: bound(await sha256Hex(ticket)), userId: sql`${sessions.userId}`, sessionId: sql`${sessions.id}`, expiresAt: bound(expiresAt) }))
        .from(sessions)
        .where(live),
    ),
  ]);
  const holder = holders[0];
  return { user: holder ? toPublicUser(holder.user) : null, ticket, expiresAt };
}

/**
 * Spends a ticket and reads the live session behind it, in one round trip (every private socket
 * (re)connect pays it, so a reconnect storm pays it thousands of times). The guarded UPDATE lets
 * only one of two racing upgrades with the same ticket win; the SELECT in the same batch (one
 * transaction) reads the user of the session the ticket was issued to, if that session is still
 * live. Returns null for an unknown, used or expired ticket; `user` is null when its session ended.
 */
export async function spendTicket(db: Db, ticket: string, at: number): Promise<{ grant: TicketGrant; user: PublicUser | null } | null> {
  const id = await sha256Hex(ticket);
  const [spent, holders] = await db.batch([
    db
      .update(realtimeTickets)
      .set({ usedAt: at })
      .where(and(eq(realtimeTickets.id, id), isNull(realtimeTickets.usedAt), gt(realtimeTickets.expiresAt, at)))
      .returning({ userId: realtimeTickets.userId, sessionId: realtimeTickets.sessionId }),
    db
      .select({ user: users })
      .from(realtimeTickets)
      .innerJoin(sessions, eq(sessions.id, realtimeTickets.sessionId))
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(realtimeTickets.id, id), eq(realtimeTickets.usedAt, at), sql`${sessions.revokedAt} IS NULL`, sql`${sessions.expiresAt} > ${at}`)),
  ]);
  const grant = spent[0];
  if (!grant) return null;
  const holder = holders[0];
  return { grant, user: holder ? toPublicUser(holder.user) : null };
}

/** Rows deleted per statement, so one purge never runs into D1's time limit for a statement. */
const PURGE_CHUNK = 5_000;

/**
 * Deletes expired tickets (run hourly by the cron trigger). Issuing a ticket sweeps its user's
 * expired ones, but a user who never reconnects would keep their last tickets forever: the soak
 * bench left hundreds behind.
 */
export async function purgeExpiredTickets(db: Db, at: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const expired = db.select({ id: realtimeTickets.id }).from(realtimeTickets).where(lte(realtimeTickets.expiresAt, at)).limit(PURGE_CHUNK);
    const result = await db.delete(realtimeTickets).where(inArray(realtimeTickets.id, expired)).run();
    deleted += result.meta.changes;
    if (result.meta.changes < PURGE_CHUNK) return deleted;
  }
}
