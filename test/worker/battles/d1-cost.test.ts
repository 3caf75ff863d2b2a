import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../src/db/client";
import { battleConfig } from "../../../src/features/battles/config";
import { createBattle } from "../../../src/features/battles/create";
import { settleBattle } from "../../../src/features/battles/end";
import { joinBattle } from "../../../src/features/battles/join";
import { outcomeOf } from "../../../src/features/battles/outcome";
import { loadBattle, loadRevisions } from "../../../src/features/battles/queries";
import type { BattleFormat } from "../../../src/features/battles/rules";
import { meteredD1 } from "../../metered-d1";
import { table } from "./fixtures";

/**
 * D1 rows written by one battle's money, measured on the domain functions (no room is involved, so
 * nothing else writes meanwhile): create, each join, the outcome, the settlement. Index entries count.
 */
async function battleCost(format: BattleFormat, rounds: number, seats: number) {
  const { caseId, players } = await table(seats);
  const [creator, ...others] = players;
  const cost: Record<string, number> = {};
  const metered = async (name: string, work: (db: ReturnType<typeof createDb>) => Promise<unknown>) => {
    const { db, meter } = meteredD1(env.DB);
    await work(createDb(db));
    cost[name] = (cost[name] ?? 0) + meter.rowsWritten;
  };
  let battleId = "";
  await metered("create", async (db) => {
    battleId = (await createBattle(db, { userId: creator!.id, displayName: "c", body: { cases: Array(rounds).fill(caseId), format, mode: "classic", private: false }, config: battleConfig(env), idempotencyKey: null, requestHash: "h", at: Date.now() })).battleId;
  });
  for (const p of others) {
    await metered("joins", (db) => joinBattle(db, { battleId, userId: p.id, displayName: "p", seat: undefined, clientSeed: undefined, idempotencyKey: null, requestHash: "h", at: Date.now() }));
  }
  // As if the last round's reels had stopped: settling is refused (in SQL) before that.
  await env.DB.prepare("UPDATE battles SET started_at = started_at - 1000000 WHERE id = ?").bind(battleId).run();
  const db = createDb(env.DB);
  const loaded = (await loadBattle(db, battleId))!;
  const revisions = await loadRevisions(db, loaded.battle);
  await metered("outcome", (mdb) => outcomeOf(mdb, loaded, revisions));
  const withOutcome = (await loadBattle(db, battleId))!;
  await metered("settle", async (mdb) => expect(await settleBattle(mdb, withOutcome, revisions, await outcomeOf(db, withOutcome, revisions), Date.now())).not.toBeNull());
  return cost;
}

describe("the D1 cost of a battle", () => {
  it("rows written: a fixed few per seat, one inventory row per item won, nothing per round otherwise", async () => {
    const small = await battleCost("1v1", 1, 2);
    const long = await battleCost("1v1", 5, 2);
    const four = await battleCost("1v1v1v1", 5, 4);
    // Measured (README, "Case battles"): 1v1 ×1 {create 7, joins 6, outcome 1, settle 6}; 1v1 ×5 settle 14;
    // 1v1v1v1 ×5 {joins 18, settle 24}.
    // A seat (create or join): its entry, the balance, the seat row and its index, the battle row and its index.
    expect(small.create).toBeLessThanOrEqual(7);
    expect(small.joins).toBeLessThanOrEqual(6);
    expect(four.joins).toBeLessThanOrEqual(3 * 6);
    // Rounds cost only the items they add to the winner's inventory (one row each).
    expect(long.create).toBe(small.create);
    expect(long.joins).toBe(small.joins);
    expect((long.settle ?? 0) - (small.settle ?? 0)).toBe(8);
    expect(long.outcome).toBeLessThanOrEqual(2);
  });
});
