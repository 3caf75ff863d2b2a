// Cost counting without touching product code: this entry wraps the product's Worker, and is run
// with `wrangler dev bench/cost/worker.ts` over the product's own wrangler.toml (same bindings).
// Per request it builds a counting env:
//  - DB: a second D1Database built over a counting copy of the binding's own fetcher, so every
//    D1 round trip (one fetch to the D1 service), every statement in it and the rows_read /
//    rows_written that D1 reports in each statement's `meta` are seen exactly — whichever of
//    run/all/raw/first/batch drizzle used (raw() hides `meta` from callers, not from the wire);
//  - every Durable Object namespace: stubs whose method calls (RPC or fetch) are counted.
// The totals go back in an `x-bench-cost` response header. Production never loads this file.
import product from "../../src/index";
import { countingDb, type Cost } from "./counting";
export * from "../../src/index";

function isNamespace(value: unknown): value is DurableObjectNamespace {
  return typeof value === "object" && value !== null && typeof (value as { idFromName?: unknown }).idFromName === "function";
}

function countingStub<T extends object>(stub: T, label: string, cost: Cost): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value: unknown = (target as Record<PropertyKey, unknown>)[prop];
      if (typeof prop !== "string" || prop === "then" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const key = `${label}.${prop}`;
        cost.doCalls[key] = (cost.doCalls[key] ?? 0) + 1;
        // Reflect.apply, not value.apply: an RPC method is a proxy, and `.apply` on it would be a remote
        // call of a method named "apply" with the stub itself as its first argument (DataCloneError).
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}

function countingNamespace(ns: DurableObjectNamespace, label: string, cost: Cost): DurableObjectNamespace {
  return new Proxy(ns, {
    get(target, prop) {
      const value: unknown = (target as unknown as Record<PropertyKey, unknown>)[prop];
      if (typeof value !== "function") return value;
      const fn = (value as (...a: unknown[]) => unknown).bind(target);
      if (prop === "get" || prop === "getByName") return (...args: unknown[]) => countingStub(fn(...args) as object, label, cost);
      return fn;
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    const cost: Cost = { d1RoundTrips: 0, d1Statements: 0, rowsRead: 0, rowsWritten: 0, d1Ms: 0, doCalls: {}, statements: [] };
    const counted: Record<string, unknown> = { ...env, DB: countingDb(env.DB, cost) };
    for (const [name, value] of Object.entries(env)) if (isNamespace(value)) counted[name] = countingNamespace(value, name, cost);
    const response = await product.fetch(request, counted as unknown as Env, ctx);
    if (response.status === 101 || response.webSocket) return response;
    const out = new Response(response.body, response);
    out.headers.set("x-bench-cost", JSON.stringify(cost));
    return out;
  },
} satisfies ExportedHandler<Env>;
