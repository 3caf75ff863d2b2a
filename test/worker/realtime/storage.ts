import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";

/**
 * Rows one object's SQLite storage wrote while `run` ran: every statement executed on `sql` (the
 * object's own `ctx.storage.sql`, whoever holds it), whatever code ran it. Other objects in the
 * isolate share the prototype and are not counted.
 */
export async function rowsWrittenBy(sql: SqlStorage, run: () => unknown): Promise<number> {
  const proto = Object.getPrototypeOf(sql) as Pick<SqlStorage, "exec">;
  const exec = proto.exec;
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  proto.exec = function (this: SqlStorage, query: string, ...bindings: unknown[]) {
    const cursor = exec.call(this, query, ...bindings);
    if (this === sql) cursors.push(cursor);
    return cursor;
  } as SqlStorage["exec"];
  try {
    await run();
  } finally {
    proto.exec = exec;
  }
  // A cursor's rowsWritten is final once its statement ran, which exec does before it returns.
  return cursors.reduce((sum, cursor) => sum + cursor.rowsWritten, 0);
}

/**
 * What a wake-up does to an object's storage: a new instance on the same state. Its constructor's
 * upgrade runs inside blockConcurrencyWhile; this returns once that is done.
 */
export async function wake(Room: new (ctx: DurableObjectState, env: Env) => unknown, state: DurableObjectState): Promise<void> {
  new Room(state, env);
  await state.blockConcurrencyWhile(async () => {});
}

/** Runs `fn` with the storage of an object nothing else uses (a hub named for this call alone). */
export function withFreshStorage<T>(fn: (storage: DurableObjectStorage) => Promise<T>): Promise<T> {
  const stub = env.USER_HUB.get(env.USER_HUB.idFromName(`storage-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_hub, state: DurableObjectState) => fn(state.storage));
}

/**
 * Counts `storage.getAlarm` calls from now until `restore()`. Call it inside the object (storage
 * can only be touched there); `unpatched` reads the alarm without counting.
 */
export function countAlarmReads(storage: DurableObjectStorage): { reads: () => number; unpatched: DurableObjectStorage["getAlarm"]; restore: () => void } {
  const unpatched = storage.getAlarm.bind(storage);
  let reads = 0;
  storage.getAlarm = (options) => {
    reads++;
    return unpatched(options);
  };
  return { reads: () => reads, unpatched, restore: () => (storage.getAlarm = unpatched) };
}
