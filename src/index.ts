import { createDb } from "./db/client";
import { purgeLoginFailures } from "./features/auth/login-throttle";
import { answerHead } from "./http/head";
import { router } from "./router";

export { UserHub } from "./realtime/user-hub";
export { Broadcaster } from "./realtime/broadcaster";
export { LobbyShard } from "./realtime/lobby-shard";

export default {
  fetch: (request, env, ctx) => answerHead(request, (routed) => router.fetch(routed, env, ctx)),
  // The hourly cron in wrangler.toml: the only scheduled work is dropping ended throttle windows.
  scheduled: async (_controller, env) => void (await purgeLoginFailures(createDb(env.DB), Date.now())),
} satisfies ExportedHandler<Env>;
