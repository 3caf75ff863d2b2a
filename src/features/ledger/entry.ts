import { sql, type SQL } from "drizzle-orm";
import { ledger } from "../../db/schema";

/**
 * One ledger entry by its whole primary key (user, time, id): one seek into the clustered table,
 * never a scan of the user's history. Statements after a guarded ledger insert use these.
 */
export const theEntry = (userId: string, at: number, id: string): SQL =>
  sql`${ledger.userId} = ${userId} AND ${ledger.createdAt} = ${at} AND ${ledger.id} = ${id}`;

/** True once the batch has written this entry: what follows a guarded insert runs only then. */
export function entryWritten(userId: string, at: number, id: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${ledger} WHERE ${theEntry(userId, at, id)})`;
}

/** The entry's delta as a scalar subquery, for the balance update that follows it. */
export function entryDelta(userId: string, at: number, id: string): SQL {
  return sql`(SELECT ${ledger.delta} FROM ${ledger} WHERE ${theEntry(userId, at, id)})`;
}
