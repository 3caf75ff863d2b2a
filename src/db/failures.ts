/**
 * What a failed D1 call means for the client: our SQL said no (a constraint, a bug: the caller or a
 * 500 decides), or D1 itself was unavailable (a retry may succeed: 503). D1 reports both only
 * through message text, wrapped by drizzle (the driver error is the `cause`).
 */

/** Thrown by {@link withDeadline} when D1 has not answered in time. */
export class D1DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`D1 did not answer within ${ms} ms`);
    this.name = "D1DeadlineExceeded";
  }
}

/**
 * Failures D1 documents as transient, "retry the operation" (developers.cloudflare.com/d1/observability/debug-d1):
 * the network, the database object restarting, resetting or overloaded. workerd's binding throws the
 * first one without the D1_ERROR prefix when its connection to the database drops.
 */
const TRANSIENT = /Network connection lost|caused object to be reset|reset because its code was updated|transient issue|overloaded|queued for too long|Too many requests queued|exceeded its memory limit and was reset|storage operation exceeded timeout/i;

/** Errors of the statement itself: retrying the same SQL gives the same answer. */
const STATEMENT = /constraint failed|syntax error|no such (table|column|function)|D1_TYPE_ERROR|D1_COLUMN_NOTFOUND|datatype mismatch|too many SQL variables/i;

/** The message of an error and of every error it wraps. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (!(e instanceof Error)) {
      parts.push(String(e));
      break;
    }
    parts.push(e.message);
    e = e.cause;
  }
  return parts.join(" ");
}

/** The innermost error's message: D1's own words, without drizzle's SQL text and parameters. */
export function driverMessage(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && e.cause !== undefined && depth < 5; depth++) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

function deadlineIn(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) {
    if (e instanceof D1DeadlineExceeded) return true;
  }
  return false;
}

/** True when D1 could not run the request at all, or not in time: the client should retry later. */
export function isStorageUnavailable(err: unknown): boolean {
  if (deadlineIn(err)) return true;
  const text = errorText(err);
  return TRANSIENT.test(text) && !STATEMENT.test(text);
}

/** How a statement proxy hands `batch` the statement it wraps. */
const TARGET = Symbol("d1 statement");

/**
 * A D1 binding whose every round trip (`batch`, a statement's `run`/`all`/`first`/`raw`, `exec`)
 * rejects with {@link D1DeadlineExceeded} after `ms`. A write that timed out may still commit
 * afterwards: the client gets a 503 and retries with its Idempotency-Key, which the ledger row
 * carries, so the retry replays the first result instead of charging twice.
 */
export function withDeadline(d1: D1Database, ms: number): D1Database {
  const race = <T>(work: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new D1DeadlineExceeded(ms)), ms);
    });
    return Promise.race([work, late]).finally(() => timer !== undefined && clearTimeout(timer));
  };
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === TARGET) return target;
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => statement(target.bind(...args));
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
          return (...args: unknown[]) => race(Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args)));
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  return new Proxy(d1, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (query: string) => statement(target.prepare(query));
      if (prop === "batch") {
        // The real statements, not our proxies: the binding reads its own internals off each one.
        return (statements: D1PreparedStatement[]) => race(target.batch(statements.map(unwrap)));
      }
      if (prop === "exec") return (query: string) => race(target.exec(query));
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function unwrap(stmt: D1PreparedStatement): D1PreparedStatement {
  const inner: unknown = (stmt as unknown as Record<symbol, unknown>)[TARGET];
  return (inner as D1PreparedStatement | undefined) ?? stmt;
}

/** D1_DEADLINE_MS from wrangler.toml, when set to a positive number; else this. */
export const DEFAULT_D1_DEADLINE_MS = 5_000;

/** The request's env with a deadline on every D1 round trip (D1_DEADLINE_MS, see {@link withDeadline}). */
export function withD1Deadline(env: Env): Env {
  const ms = Number(env.D1_DEADLINE_MS);
  return { ...env, DB: withDeadline(env.DB, Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_D1_DEADLINE_MS) };
}
