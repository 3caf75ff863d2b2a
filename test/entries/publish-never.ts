// An end-to-end test's entry (test/e2e/crash-delivery.test.ts): the product's Worker and Durable
// Objects unchanged, except that a request carrying PUBLISH_NEVER_HEADER commits as usual and then
// its publishes (to the user's hub, to the broadcaster) never answer. The test kills the runtime
// while they hang: a crash between the commit and the publish, made certain instead of a race.
// Run with `wrangler dev test/entries/publish-never.ts` over the product's wrangler.toml. Production
// never loads it.
import product from "../../src/index";

export { Battle, Broadcaster, LobbyShard, UserHub } from "../../src/index";

// Not exported: every export of an entry must be a handler or a class.
const PUBLISH_NEVER_HEADER = "x-e2e-publish";

/** The namespace's stubs, with `publish` replaced by a call that never returns. */
function publishNever<N extends object>(namespace: N): N {
  return new Proxy(namespace, {
    get(target, prop) {
      if (prop !== "get") {
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      const get = Reflect.get(target, "get", target) as (id: DurableObjectId) => object;
      return (id: DurableObjectId) => {
        const stub = get.call(target, id);
        return new Proxy(stub, {
          get(inner, name) {
            if (name === "publish") return () => new Promise<never>(() => {});
            const value: unknown = Reflect.get(inner, name, inner);
            return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(inner) : value;
          },
        });
      };
    },
  });
}

export default {
  fetch(request, env, ctx) {
    if (request.headers.get(PUBLISH_NEVER_HEADER) !== "never") return product.fetch(request, env, ctx);
    return product.fetch(request, { ...env, USER_HUB: publishNever(env.USER_HUB), BROADCASTER: publishNever(env.BROADCASTER) }, ctx);
  },
  scheduled: product.scheduled,
} satisfies ExportedHandler<Env>;
