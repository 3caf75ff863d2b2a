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
