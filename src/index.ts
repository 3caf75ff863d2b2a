import { createDb } from "./db/client";
import { withD1Deadline } from "./db/failures";
import { purgeLoginFailures } from "./features/auth/login-throttle";
import { sweepBattles } from "./features/battles/sweep";
import { purgeExpiredTickets } from "./features/realtime/tickets";
import { answerHead } from "./http/head";
import { router } from "./router";

export { UserHub } from "./realtime/user-hub";
export { Broadcaster } from "./realtime/broadcaster";
export { LobbyShard } from "./realtime/lobby-shard";
export { Battle } from "./realtime/battle-room";

export default {
  // Every D1 round trip of a request has a deadline: a hung database is a 503, not a hung client.
  fetch: (request, env, ctx) => answerHead(request, (routed) => router.fetch(routed, withD1Deadline(env), ctx)),
  // The hourly cron in wrangler.toml: dropping ended throttle windows and expired socket tickets,
  // and handing overdue battles to their rooms.
  scheduled: async (_controller, env) => {
    const db = createDb(env.DB);
    await purgeLoginFailures(db, Date.now());
    await purgeExpiredTickets(db, Date.now());
    await sweepBattles(db, env, Date.now());
  },
} satisfies ExportedHandler<Env>;
