import { drizzle } from "drizzle-orm/d1";
import { errorText } from "./failures";

export type Db = ReturnType<typeof createDb>;

/**
 * Cheap to build: drizzle wraps the binding and opens no connection. No `{ schema }` on purpose:
 * we use the query builder, not `db.query`, and the relational config would be rebuilt per request.
 */
export function createDb(d1: D1Database) {
  return drizzle(d1);
}

/** D1 reports constraint failures only through the message text (drizzle wraps it: see errorText). */
export function constraintFailed(err: unknown, name: string): boolean {
  const text = errorText(err);
  return text.includes("constraint failed") && text.includes(name);
}

/** Any CHECK, NOT NULL, UNIQUE or FOREIGN KEY failure: the statement's guard said no. */
export function isConstraintError(err: unknown): boolean {
  return errorText(err).includes("constraint failed");
}
