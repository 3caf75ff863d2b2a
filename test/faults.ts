import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
import { documentedCall, type CallOptions, type CallResult } from "./helpers";
import type { BodyOf } from "./routes";

/**
 * How the Nth D1 round trip fails. `before`: D1 never ran it (the request did not reach the
 * database); `after`: it ran and committed, and the answer was lost on the way back. `fail` rejects
 * with one of the messages D1 documents as transient; `hang` never answers (the Worker's own
 * deadline must end the request).
 */
export type FaultMode = "fail-before" | "fail-after" | "hang-before" | "hang-after";

export const FAULT_MODES: readonly FaultMode[] = ["fail-before", "fail-after", "hang-before", "hang-after"];

/** Messages workerd's D1 binding throws for transient failures (developers.cloudflare.com/d1/observability/debug-d1). */
export const TRANSIENT_D1_MESSAGES = [
  "D1_ERROR: Network connection lost.",
  "D1_ERROR: D1 DB reset because its code was updated.",
  "D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.",
  "D1_ERROR: D1 DB is overloaded. Too many requests queued.",
  "Network connection lost.",
] as const;

export interface FaultPlan {
  /** 1-based: which round trip fails. 0 = none (a counting run). */
  at: number;
  mode: FaultMode;
  message?: string;
}

export interface FaultyD1 {
  db: D1Database;
  /** Round trips started so far (a batch is one, a statement's run/all/first/raw is one). */
  readonly calls: number;
  /** Whether the planned fault was reached. */
  readonly fired: boolean;
}

/**
 * A D1 binding around the real one that fails its `plan.at`-th round trip the way `plan.mode`
 * says; every other call goes through untouched. Proxies like test/metered-d1.ts.
 */
export function faultyD1(inner: D1Database, plan: FaultPlan): FaultyD1 {
  let calls = 0;
  let fired = false;
  const hang = () => new Promise<never>(() => {});
  const fail = () => Promise.reject(new Error(plan.message ?? TRANSIENT_D1_MESSAGES[0]));
  async function roundTrip<T>(run: () => Promise<T>): Promise<T> {
    calls++;
    if (calls !== plan.at) return run();
    fired = true;
    switch (plan.mode) {
      case "fail-before":
        return fail();
      case "hang-before":
        return hang();
      case "fail-after":
        await run();
        return fail();
      case "hang-after":
        await run();
        return hang();
    }
  }
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => statement(target.bind(...args));
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
          const method = target[prop] as (...a: unknown[]) => Promise<unknown>;
          return (...args: unknown[]) => roundTrip(() => method.apply(target, args));
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  const db = new Proxy(inner, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => statement(target.prepare(query));
      if (prop === "batch") return (statements: D1PreparedStatement[]) => roundTrip(() => target.batch(statements));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    db,
    get calls() {
      return calls;
    },
    get fired() {
      return fired;
    },
  };
}

/**
 * One request through the Worker's own fetch with `bindings` swapped into its env, held to the API
 * document like test/helpers.ts `call`. Background work (publishes) is awaited before it returns.
 */
export async function callWith<M extends string, P extends string>(
  bindings: Partial<Env>,
  method: M,
  path: P,
  options: CallOptions = {},
): Promise<CallResult<BodyOf<M, P>>> {
  const result = await documentedCall(
    async (request) => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(request, { ...env, ...bindings }, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
    method,
    path,
    options,
  );
  // Held to the documented schema BodyOf is read from, by documentedCall.
  return result as CallResult<BodyOf<M, P>>;
}
