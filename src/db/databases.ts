import { createDb, type Db } from "./client";

/**
 * How a request names its user before anything is read: by id, or by the session or socket ticket
 * it presents (the hot routes check the session inside their own write batch, so the database must
 * be known from the credential alone).
 */
export type UserRef = { userId: string } | { sessionId: string } | { ticket: string };

/**
 * The one place that picks the D1 database holding a user's rows (balance, ledger, openings,
 * inventory, seeds, sessions, tickets). Today every user lives in `DB`. Past one database's write
 * rate (BENCHMARKS.md, "Past one D1 database") users are spread over several by id, and a session
 * or ticket carries its user's database number so this stays a lookup without a read.
 */
export function userDatabase(env: Env, _user: UserRef): D1Database {
  return env.DB;
}

/** Drizzle over {@link userDatabase}. */
export function userDb(env: Env, user: UserRef): Db {
  return createDb(userDatabase(env, user));
}

/** The catalogue (cases, items, their version): one writer, read by every user database's openings. */
export function catalogDatabase(env: Env): D1Database {
  return env.DB;
}

/** Drizzle over {@link catalogDatabase}. */
export function catalogDb(env: Env): Db {
  return createDb(catalogDatabase(env));
}

/**
 * Battles, their seats and, today, their players' money in one guarded batch. Past one database a
 * battle's players live in several, and its money becomes the saga in BENCHMARKS.md ("Past one D1
 * database"): stakes debited in each player's database, the prize credited in the winner's.
 */
export function battlesDb(env: Env): Db {
  return createDb(env.DB);
}

/** Global rows that no single user owns: e-mail → account, log-in throttles, promo codes, admin listings. */
export function directoryDb(env: Env): Db {
  return createDb(env.DB);
}

/** Every database holding user rows, for maintenance that visits them all (the hourly purges). */
export function allUserDatabases(env: Env): Db[] {
  return [createDb(env.DB)];
}
