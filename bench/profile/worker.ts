// Profiling by ablation (bench only): the product's Worker with parts switched off per request by
// the `x-bench-ablate` header, so a load run can tell how much each part costs:
//   no-log   console.log/console.info become no-ops (the runtime ships every line to wrangler);
//   no-user  the UserHub RPC (private events) is replaced by a resolved promise;
//   no-lobby the Broadcaster RPC (public drops) is replaced by a resolved promise;
// and three bench-only routes that enter the lobby fan-out path at different depths, for the
// fan-out attribution in bench/fanout-profile.mjs:
//   POST /api/__bench/lobby-publish  Broadcaster.publish([cases:updated]) (skips the admin route's D1 work)
//   POST /api/__bench/shard-deliver  LobbyShard.deliver with the event (skips the Broadcaster hop)
//   POST /api/__bench/shard-send     LobbyShard.deliver with no catalogue change (skips the storage write too)
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

interface LobbyPublisher {
  publish(events: unknown[]): Promise<void>;
}
interface LobbyDeliverer {
  deliver(delivery: { frame: string; cases: unknown[] }): Promise<void>;
}

let benchVersion = 1_000_000;

async function benchRoute(path: string, env: Env): Promise<Response | null> {
  if (!path.startsWith("/api/__bench/")) return null;
  const event = { event: "cases:updated", data: { version: ++benchVersion, caseId: "00000000-0000-4000-8000-000000000000", action: "updated" } };
  const frame = JSON.stringify({ type: "events", channel: "lobby", events: [event] });
  const shard = env.LOBBY_SHARD.get(env.LOBBY_SHARD.idFromName("shard:0")) as unknown as LobbyDeliverer;
  if (path === "/api/__bench/lobby-publish") {
    await (env.BROADCASTER.get(env.BROADCASTER.idFromName("global")) as unknown as LobbyPublisher).publish([event]);
  } else if (path === "/api/__bench/shard-deliver") {
    await shard.deliver({ frame, cases: [event] });
  } else if (path === "/api/__bench/shard-send") {
    await shard.deliver({ frame, cases: [] });
  } else {
    return new Response("unknown bench route", { status: 404 });
  }
  return new Response("ok");
}

export default {
  async fetch(request, env, ctx) {
    const bench = await benchRoute(new URL(request.url).pathname, env);
    if (bench) return bench;
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
