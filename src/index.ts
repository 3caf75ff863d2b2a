import { router } from "./router";

export { UserHub } from "./realtime/user-hub";
export { Broadcaster } from "./realtime/broadcaster";
export { LobbyShard } from "./realtime/lobby-shard";

export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
