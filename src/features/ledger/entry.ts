import { sql, type SQL } from "drizzle-orm";
import { ledger } from "../../db/schema";

/**
 * True once the batch has written this ledger entry. The statements after a guarded ledger insert
 * run only if it did. The whole primary key (user, time, id) is named so this is one seek into
 * the clustered table, never a scan of the user's history.
 */
export function entryWritten(userId: string, at: number, id: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${ledger} WHERE ${ledger.userId} = ${userId} AND ${ledger.createdAt} = ${at} AND ${ledger.id} = ${id})`;
}

/** The entry's delta as a scalar subquery, for the balance update that follows it. */
export function entryDelta(userId: string, at: number, id: string): SQL {
  return sql`(SELECT ${ledger.delta} FROM ${ledger} WHERE ${ledger.userId} = ${userId} AND ${ledger.createdAt} = ${at} AND ${ledger.id} = ${id})`;
}
