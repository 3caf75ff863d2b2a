import { and, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { loginFailures } from "../../db/schema";
import { sha256Hex } from "../../lib/crypto";

// Log-in throttling that an attacker can only turn against themself (OWASP: lock-out must not become
// a denial of service). Attempts are counted per account and address together, per address, and per
// account; only the address that has been failing is ever refused, so the right password from an
// address that has not been failing always gets in.
//
// Storage: D1, not a Durable Object. A log-in is rare next to openings, it reads D1 anyway (the user
// row), and the reservation rides in the same batch as that read, so throttling adds no round trip
// and no object to wake; a DO would add both for counters that are touched once per log-in. The
// price is rows: 3 per failed log-in, 6 more per successful one (counted, then taken back), at
// D1's per-row rate, which a log-in per session can afford.

/** Counters live in fixed windows that start with the first attempt; a later attempt after the end starts a new one. */
export const WINDOW_MS = 15 * 60_000;
/** Guesses at one account from one address per window. */
export const PAIR_LIMIT = 10;
/** Failed log-ins from one address across all accounts per window (password spraying). */
export const ADDRESS_LIMIT = 20;
/**
 * Failed log-ins at one account from anywhere per window. Past it the account is under a spread-out
 * attack: an address that has already failed for it gets no more guesses this window; an address
 * that has not failed still gets in with the right password.
 */
export const ACCOUNT_LIMIT = 100;

export interface ThrottleKeys {
  pair: string;
  address: string;
  account: string;
}

interface Counter {
  failures: number;
  windowStartedAt: number;
}

/** Hashed, so the table holds no email or address in the clear; the scope prefix keeps the three apart. */
export async function throttleKeys(email: string, address: string): Promise<ThrottleKeys> {
  const [pair, addr, account] = await Promise.all([sha256Hex(`pair\n${email}\n${address}`), sha256Hex(`address\n${address}`), sha256Hex(`account\n${email}`)]);
  return { pair, address: addr, account };
}

/**
 * Counts one attempt on a key before the password is checked, atomically in SQL, and returns the
 * count. Counting first and forgiving on success (see {@link forgiveAttempt}) is what makes the
 * limits hold under a burst: checking first would let every request of a parallel burst through.
 */
function countAttempt(db: Db, key: string, at: number) {
  const expired = sql`${loginFailures.windowStartedAt} <= ${at - WINDOW_MS}`;
  return db
    .insert(loginFailures)
    .values({ key, failures: 1, windowStartedAt: at })
    .onConflictDoUpdate({
      target: loginFailures.key,
      set: {
        failures: sql`CASE WHEN ${expired} THEN 1 ELSE ${loginFailures.failures} + 1 END`,
        windowStartedAt: sql`CASE WHEN ${expired} THEN ${at} ELSE ${loginFailures.windowStartedAt} END`,
      },
    })
    .returning({ failures: loginFailures.failures, windowStartedAt: loginFailures.windowStartedAt });
}

/** The three counting statements, for the log-in's first batch (pair, address, account, in that order). */
export function reserveAttempt(db: Db, keys: ThrottleKeys, at: number) {
  return [countAttempt(db, keys.pair, at), countAttempt(db, keys.address, at), countAttempt(db, keys.account, at)] as const;
}

/**
 * Seconds to wait when this attempt must be refused, or null. `failures` includes this attempt, so
 * "before" is the count of earlier ones still in the window.
 */
export function refusal(counted: { pair: Counter; address: Counter; account: Counter }, at: number): number | null {
  const before = (c: Counter) => c.failures - 1;
  const blocking: Counter[] = [];
  if (before(counted.pair) >= PAIR_LIMIT) blocking.push(counted.pair);
  if (before(counted.address) >= ADDRESS_LIMIT) blocking.push(counted.address);
  if (before(counted.account) >= ACCOUNT_LIMIT && before(counted.pair) >= 1) blocking.push(counted.account);
  if (blocking.length === 0) return null;
  const until = Math.max(...blocking.map((c) => c.windowStartedAt + WINDOW_MS));
  return Math.max(1, Math.ceil((until - at) / 1000));
}

/**
 * For the successful log-in's batch: this attempt was right, so it is taken back from the address
 * and the account, and the pair starts clean (whoever knows the password has nothing to guess). A
 * counter that drops to zero is deleted, so the table only ever names keys that are failing.
 */
export function forgiveAttempt(db: Db, keys: ThrottleKeys) {
  const drop = (key: string) => db.delete(loginFailures).where(and(eq(loginFailures.key, key), lte(loginFailures.failures, 1)));
  const uncount = (key: string) =>
    db
      .update(loginFailures)
      .set({ failures: sql`${loginFailures.failures} - 1` })
      .where(and(eq(loginFailures.key, key), gt(loginFailures.failures, 1)));
  return [db.delete(loginFailures).where(eq(loginFailures.key, keys.pair)), drop(keys.address), uncount(keys.address), drop(keys.account), uncount(keys.account)] as const;
}

/** Rows deleted per statement, so one purge never runs into D1's time limit for a statement. */
const PURGE_CHUNK = 5_000;

/**
 * Deletes counters whose window has ended (run hourly by the cron trigger). It scans the table, which
 * holds little more than an hour of attempts, and costs reads, not index writes on every log-in.
 */
export async function purgeLoginFailures(db: Db, at: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const stale = db.select({ key: loginFailures.key }).from(loginFailures).where(lte(loginFailures.windowStartedAt, at - WINDOW_MS)).limit(PURGE_CHUNK);
    const result = await db.delete(loginFailures).where(inArray(loginFailures.key, stale)).run();
    deleted += result.meta.changes;
    if (result.meta.changes < PURGE_CHUNK) return deleted;
  }
}
