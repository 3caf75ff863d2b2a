// The soak's entry: the product's Worker and Durable Objects unchanged, plus one bench-only route
// (under /api/, which reaches the Worker before the assets) that reports what every named object holds (sockets, its alarm, its storage rows), so the soak
// can check at the end that nothing was left behind. Run with `wrangler dev bench/soak/worker.ts`
// over the product's wrangler.toml (same bindings and class names). Production never loads it.
import product from "../../src/index";
import { Broadcaster as ProductBroadcaster } from "../../src/realtime/broadcaster";
import { LobbyShard as ProductLobbyShard } from "../../src/realtime/lobby-shard";
import { UserHub as ProductUserHub } from "../../src/realtime/user-hub";
import { broadcaster, lobbyShard, userHub } from "../../src/realtime/stubs";

export interface ObjectStats {
  sockets: number;
  alarm: number | null;
  rows: Record<string, number>;
}

async function statsOf(ctx: DurableObjectState, tables: string[]): Promise<ObjectStats> {
  const rows: Record<string, number> = {};
  for (const table of tables) {
    rows[table] = ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
  }
  return { sockets: ctx.getWebSockets().length, alarm: await ctx.storage.getAlarm(), rows };
}

export class UserHub extends ProductUserHub {
  async benchStats(): Promise<ObjectStats> {
    return statsOf(this.ctx, ["batches"]);
  }
}

export class LobbyShard extends ProductLobbyShard {
  async benchStats(): Promise<ObjectStats> {
    return statsOf(this.ctx, ["catalog_log"]);
  }
}

export class Broadcaster extends ProductBroadcaster {
  async benchStats(): Promise<ObjectStats> {
    return statsOf(this.ctx, ["presence", "pending_drops"]);
  }
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/api/__bench/objects" && request.method === "POST") {
      const { users } = (await request.json()) as { users: string[] };
      const hubs = await Promise.all(users.map((id) => (userHub(env, id) as unknown as DurableObjectStub<UserHub>).benchStats()));
      // Every shard a lobby frame still goes to (those holding sockets, or handed out recently).
      const indexes = await broadcaster(env).shards();
      const shards = await Promise.all(
        indexes.map((i) => (lobbyShard(env, i) as unknown as DurableObjectStub<LobbyShard>).benchStats()),
      );
      const global = await (broadcaster(env) as unknown as DurableObjectStub<Broadcaster>).benchStats();
      return Response.json({ hubs, shards, broadcaster: global });
    }
    return product.fetch(request, env, ctx);
  },
  scheduled: product.scheduled,
} satisfies ExportedHandler<Env>;
