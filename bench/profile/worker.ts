// Profiling by ablation (bench only): the product's Worker with parts switched off per request by
// the `x-bench-ablate` header, so a load run can tell how much each part costs:
//   no-log   console.log/console.info become no-ops (the runtime ships every line to wrangler);
//   no-user  the UserHub RPC (private events) is replaced by a resolved promise;
//   no-lobby the Broadcaster RPC (public drops) is replaced by a resolved promise;
// Run with `wrangler dev bench/profile/worker.ts` over the product's wrangler.toml. Never deployed.
import product from "../../src/index";
export * from "../../src/index";

const realLog = console.log.bind(console);
const realInfo = console.info.bind(console);
const noop = (): void => {};

function fakeNamespace<T extends object>(ns: T): T {
  const stub = new Proxy(
    {},
    {
      get: (_t, prop) => (prop === "then" ? undefined : async () => undefined),
    },
  );
  return new Proxy(ns, {
    get(target, prop) {
      if (prop === "get" || prop === "getByName") return () => stub;
      const value: unknown = (target as unknown as Record<PropertyKey, unknown>)[prop];
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    const ablate = new Set((request.headers.get("x-bench-ablate") ?? "").split(",").filter(Boolean));
    console.log = ablate.has("no-log") ? noop : realLog;
    console.info = ablate.has("no-log") ? noop : realInfo;
    if (ablate.size === 0) return product.fetch(request, env, ctx);
    const patched: Record<string, unknown> = { ...env };
    if (ablate.has("no-user")) patched.USER_HUB = fakeNamespace(env.USER_HUB);
    if (ablate.has("no-lobby")) patched.BROADCASTER = fakeNamespace(env.BROADCASTER);
    return product.fetch(request, patched as unknown as Env, ctx);
  },
} satisfies ExportedHandler<Env>;
