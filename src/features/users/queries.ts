import { and, desc, eq, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { sessions, users } from "../../db/schema";
import { encodeCursor, olderThan, type Cursor } from "../../lib/pagination";
import { toPublicUser, type PublicUser } from "./model";
import type { UserPage } from "./schemas";

/** The account with this email, as a statement a batch can carry (at most one row: the email is unique). */
export function userByEmailQuery(db: Db, email: string) {
  return db.select().from(users).where(eq(users.email, email));
}

/** The user behind a live (not revoked, not expired) session, as a statement a batch can carry. */
export function sessionUserQuery(db: Db, sessionId: string, at: number) {
  return db
    .select({ user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sessionId), sql`${sessions.revokedAt} IS NULL`, sql`${sessions.expiresAt} > ${at}`));
}

/** The user behind a live session, in one indexed lookup. */
export async function getSessionUser(db: Db, sessionId: string, at: number): Promise<PublicUser | null> {
  const row = await sessionUserQuery(db, sessionId, at).get();
  return row ? toPublicUser(row.user) : null;
}

/** SQL for "the user id of this live session", to guard statements inside a batch. */
export function liveSessionUserId(sessionId: string, at: number) {
  return sql`(SELECT ${sessions.userId} FROM ${sessions} WHERE ${sessions.id} = ${sessionId} AND ${sessions.revokedAt} IS NULL AND ${sessions.expiresAt} > ${at})`;
}

/** Admin listing, newest first, optionally filtered by email or display name. */
export async function listUsers(db: Db, options: { query?: string; limit: number; before?: Cursor }): Promise<UserPage> {
  const conditions = [];
  if (options.query) {
    const pattern = `%${options.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(or(sql`${users.email} LIKE ${pattern} ESCAPE '\\'`, sql`${users.displayName} LIKE ${pattern} ESCAPE '\\'`));
  }
  if (options.before) conditions.push(olderThan(users.createdAt, users.id, options.before));
  const rows = await db
    .select()
    .from(users)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit).map(toPublicUser);
  return { users: page, nextCursor: encodeCursor(rows, options.limit) };
}
