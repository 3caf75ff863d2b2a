/** One statement D1 ran, with the rows it reports reading and writing (index entries count too). */
export interface MeteredStatement {
  sql: string;
  rowsRead: number;
  rowsWritten: number;
}

export interface D1Meter {
  roundTrips: number;
  rowsRead: number;
  rowsWritten: number;
  statements: MeteredStatement[];
}

/**
 * A D1 binding that counts round trips and the rows D1 reports reading and writing, per
 * statement, so a test can tell which table a write went to.
 */
export function meteredD1(inner: D1Database): { db: D1Database; meter: D1Meter } {
  const meter: D1Meter = { roundTrips: 0, rowsRead: 0, rowsWritten: 0, statements: [] };
  const sqlOf = new WeakMap<D1PreparedStatement, string>();
  const add = (statements: readonly D1PreparedStatement[], results: D1Result[]) => {
    meter.roundTrips++;
    results.forEach((r, i) => {
      const statement = statements[i];
      meter.rowsRead += r.meta.rows_read;
      meter.rowsWritten += r.meta.rows_written;
      meter.statements.push({ sql: (statement && sqlOf.get(statement)) ?? "", rowsRead: r.meta.rows_read, rowsWritten: r.meta.rows_written });
    });
  };
  const wrapStatement = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const wrapped: D1PreparedStatement = new Proxy(stmt, {
      get(target, prop, receiver) {
        if (prop === "bind") return (...args: unknown[]) => wrapStatement(target.bind(...args), sql);
        if (prop === "run" || prop === "all") {
          return async () => {
            const result = await target[prop]();
            add([wrapped], [result as D1Result]);
            return result;
          };
        }
        if (prop === "first" || prop === "raw") throw new Error(`metered D1 does not count ${String(prop)}()`);
        return Reflect.get(target, prop, receiver);
      },
    });
    sqlOf.set(wrapped, sql);
    return wrapped;
  };
  const db = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "prepare") return (query: string) => wrapStatement(target.prepare(query), query);
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          add(statements, results);
          return results;
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  return { db, meter };
}

/** Rows written by the statements that insert into, update or delete from `table`. */
export function rowsWrittenTo(meter: D1Meter, table: string): number {
  const writes = new RegExp(`^\\s*(insert into|update|delete from)\\s+"?${table}"?\\s`, "i");
  return meter.statements.filter((s) => writes.test(s.sql)).reduce((sum, s) => sum + s.rowsWritten, 0);
}
