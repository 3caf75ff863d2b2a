// The battle bench's counting entry, run with `wrangler dev bench/battle/worker.ts` over the product's
// own wrangler.toml: the cost entry (bench/cost/worker.ts: every HTTP response says in `x-bench-cost`
// what its request wrote to D1), plus a Battle object that is the product's, unchanged, except that
// its D1 binding counts (the room writes the battle's end to D1 itself, from its alarm, where no HTTP
// response can report it). Its own SQLite storage is not counted: the runtime refuses a wrapped
// DurableObjectState, and the room's storage is the object's own, not D1.
// `GET /api/__bench/battle-cost/:id` (under /api: the rest of the paths are the site's assets) returns one room's tally. Production never loads this file.
import { Battle as ProductBattle } from "../../src/realtime/battle-room";
import costEntry from "../cost/worker";
import { countingDb, emptyCost, type Cost } from "../cost/counting";
export * from "../../src/index";

/** What one room did since it was constructed (a room evicted in between would start again at zero: `since` tells). */
export interface RoomCost {
  since: number;
  d1: Cost;
}

export class Battle extends ProductBattle {
  private readonly tally: RoomCost;

  constructor(ctx: DurableObjectState, env: Env) {
    const d1 = emptyCost();
    super(ctx, { ...env, DB: countingDb(env.DB, d1) });
    this.tally = { since: Date.now(), d1 };
  }

  benchCost(): RoomCost {
    return this.tally;
  }
}

const ROOM_COST = /^\/api\/__bench\/battle-cost\/([0-9a-f-]{36})$/;

export default {
  async fetch(request, env, ctx) {
    const hit = ROOM_COST.exec(new URL(request.url).pathname);
    if (!hit?.[1]) return costEntry.fetch(request, env, ctx);
    const rooms = env.BATTLE as unknown as DurableObjectNamespace<Battle>;
    const cost = await rooms.get(rooms.idFromName(hit[1])).benchCost();
    return Response.json(cost);
  },
} satisfies ExportedHandler<Env>;
