import { router } from "./router";

export { UserHub } from "./realtime/user-hub";
export { Broadcaster, LobbyShard } from "./realtime/broadcaster";

export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
