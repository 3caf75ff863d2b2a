import { and, eq, gt, isNull, lte } from "drizzle-orm";
import type { Db } from "../../db/client";
import { realtimeTickets } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";

/** Long enough to open a socket right after fetching it, short enough that a leaked URL is worthless. */
export const TICKET_TTL_MS = 30_000;

export interface TicketGrant {
  userId: string;
  sessionId: string;
}

/**
 * Issues a single-use ticket for the private socket. Only its hash is stored, like session tokens.
 * The same batch sweeps the user's expired tickets, so the table stays as small as the live ones.
 */
export async function insertTicket(db: Db, grant: TicketGrant, at: number): Promise<{ ticket: string; expiresAt: number }> {
  const ticket = randomToken(32);
  const expiresAt = at + TICKET_TTL_MS;
  await db.batch([
    db.delete(realtimeTickets).where(and(eq(realtimeTickets.userId, grant.userId), lte(realtimeTickets.expiresAt, at))),
    db.insert(realtimeTickets).values({ id: await sha256Hex(ticket), userId: grant.userId, sessionId: grant.sessionId, expiresAt }),
  ]);
  return { ticket, expiresAt };
}

/**
 * Spends a ticket: one guarded UPDATE, so two racing upgrades with the same ticket cannot both win.
 * Returns null for an unknown, used or expired ticket.
 */
export async function consumeTicket(db: Db, ticket: string, at: number): Promise<TicketGrant | null> {
  const rows = await db
    .update(realtimeTickets)
    .set({ usedAt: at })
    .where(and(eq(realtimeTickets.id, await sha256Hex(ticket)), isNull(realtimeTickets.usedAt), gt(realtimeTickets.expiresAt, at)))
    .returning({ userId: realtimeTickets.userId, sessionId: realtimeTickets.sessionId });
  return rows[0] ?? null;
}
