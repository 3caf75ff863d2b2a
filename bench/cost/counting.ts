// A D1 binding that counts what goes over the wire to the D1 service: round trips, statements and
// the rows_read / rows_written D1 reports in each statement's `meta` (index entries count too),
// whichever of run/all/raw/first/batch drizzle used. Shared by the cost entry (bench/cost/worker.ts)
// and the battle bench's entry (bench/battle/worker.ts). Production never loads it.
export interface StatementCost {
  sql: string;
  rowsRead: number;
  rowsWritten: number;
}

export interface Cost {
  d1RoundTrips: number;
  d1Statements: number;
  rowsRead: number;
  rowsWritten: number;
  /** D1's own SQL execution time (ms), as it reports it: the model's "D1 ms per statement". */
  d1Ms: number;
  doCalls: Record<string, number>;
  statements: StatementCost[];
}

interface WireStatement {
  sql: string;
}

interface WireResult {
  meta?: { rows_read?: number; rows_written?: number; duration?: number };
}

type D1Constructor = new (fetcher: Fetcher) => D1Database;

export function countingDb(db: D1Database, cost: Cost): D1Database {
  const inner = (db as unknown as { fetcher?: Fetcher }).fetcher;
  if (!inner) throw new Error("bench cost: this runtime's D1 binding has no fetcher to count");
  const fetcher = {
    async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const body = typeof init?.body === "string" ? init.body : "";
      const res = await inner.fetch(input, init);
      const parsedBody: unknown = body ? JSON.parse(body) : [];
      const sent = (Array.isArray(parsedBody) ? parsedBody : [parsedBody]) as WireStatement[];
      let results: WireResult[] = [];
      try {
        const parsed: unknown = await res.clone().json();
        results = (Array.isArray(parsed) ? parsed : [parsed]) as WireResult[];
      } catch {
        // an error body: counted as a round trip with no rows
      }
      cost.d1RoundTrips += 1;
      cost.d1Statements += sent.length;
      sent.forEach((stmt, i) => {
        const meta = results[i]?.meta;
        const read = meta?.rows_read ?? 0;
        const written = meta?.rows_written ?? 0;
        cost.rowsRead += read;
        cost.rowsWritten += written;
        cost.d1Ms += meta?.duration ?? 0;
        cost.statements.push({ sql: String(stmt.sql).slice(0, 160), rowsRead: read, rowsWritten: written });
      });
      return res;
    },
  };
  const Ctor = db.constructor as D1Constructor;
  return new Ctor(fetcher as unknown as Fetcher);
}

/** A fresh, empty tally. */
export const emptyCost = (): Cost => ({ d1RoundTrips: 0, d1Statements: 0, rowsRead: 0, rowsWritten: 0, d1Ms: 0, doCalls: {}, statements: [] });
