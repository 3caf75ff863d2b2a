import { answerHead } from "./http/head";
import { router } from "./router";

export { UserHub } from "./realtime/user-hub";
export { Broadcaster } from "./realtime/broadcaster";
export { LobbyShard } from "./realtime/lobby-shard";

export default {
  fetch: (request, env, ctx) => answerHead(request, (routed) => router.fetch(routed, env, ctx)),
} satisfies ExportedHandler<Env>;
