import { createDb } from "./db/client";
import { withD1Deadline } from "./db/failures";
import { purgeLoginFailures } from "./features/auth/login-throttle";
import { answerHead } from "./http/head";
import { router } from "./router";

export { UserHub } from "./realtime/user-hub";
export { Broadcaster } from "./realtime/broadcaster";
export { LobbyShard } from "./realtime/lobby-shard";

export default {
  // Every D1 round trip of a request has a deadline: a hung database is a 503, not a hung client.
  fetch: (request, env, ctx) => answerHead(request, (routed) => router.fetch(routed, withD1Deadline(env), ctx)),
  // The hourly cron in wrangler.toml: the only scheduled work is dropping ended throttle windows.
  scheduled: async (_controller, env) => void (await purgeLoginFailures(createDb(env.DB), Date.now())),
} satisfies ExportedHandler<Env>;
