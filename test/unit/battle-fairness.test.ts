import { describe, expect, it } from "vitest";
import { recipientOf, teamOf } from "../../src/features/battles/rules";
import { computeBattle, computeRoll, hashServerSeed, pickIndex, verifyBattle } from "../../src/fairness/verify";

const CASE = [
  { weight: 1, value: 1500 },
  { weight: 60, value: 5 },
  { weight: 39, value: 100 },
];

describe("battle fairness", () => {
  it("every roll is the opening roll with clientSeed `${seeds}:${round}` and the seat as nonce", async () => {
    const outcome = await computeBattle("server", ["a", "b", "c"], "1v1v1", "classic", [CASE, CASE]);
    for (const row of outcome.rolls) {
      for (const r of row) {
        expect(r.roll).toBe(await computeRoll("server", `a,b,c:${r.round}`, r.seat, 100));
        expect(r.itemIndex).toBe(pickIndex([1, 60, 39], r.roll));
      }
    }
    expect(outcome.totals).toEqual([0, 1, 2].map((i) => outcome.rolls.reduce((s, row) => s + (row[i]?.value ?? 0), 0)));
  });

  it("classic picks the highest total, crazy the lowest, terminal the highest last round; a tie goes to a roll", async () => {
    // A one-item case: every seat wins the same, so every battle is a tie.
    const flat = [{ weight: 1, value: 10 }];
    const tie = await computeBattle("s", ["x", "y"], "1v1", "classic", [flat]);
    expect(tie.winner.tiebreak).toEqual({ tiedTeams: [1, 2], roll: await computeRoll("s", "x,y:tiebreak", 0, 2) });
    expect(tie.winner.seats).toEqual([tie.winner.tiebreak!.roll + 1]);
    for (let i = 0; i < 20; i++) {
      const seeds = [`p${i}`, `q${i}`, `r${i}`];
      const classic = await computeBattle("s", seeds, "1v1v1", "classic", [CASE, CASE, CASE]);
      const crazy = await computeBattle("s", seeds, "1v1v1", "crazy", [CASE, CASE, CASE]);
      const terminal = await computeBattle("s", seeds, "1v1v1", "terminal", [CASE, CASE, CASE]);
      const best = Math.max(...classic.totals);
      expect(classic.totals[classic.winner.team - 1]).toBe(best);
      expect(crazy.totals[crazy.winner.team - 1]).toBe(Math.min(...crazy.totals));
      const last = terminal.rolls[2]!.map((r) => r.value);
      expect(last[terminal.winner.team - 1]).toBe(Math.max(...last));
    }
  });

  it("2v2: seats 1–2 play 3–4 on the team's sum; each winner takes the losing seat opposite", async () => {
    expect([1, 2, 3, 4].map((s) => teamOf("2v2", s))).toEqual([1, 1, 2, 2]);
    expect([1, 2, 3, 4].map((s) => recipientOf("2v2", s, [1, 2]))).toEqual([1, 2, 1, 2]);
    expect([1, 2, 3, 4].map((s) => recipientOf("2v2", s, [3, 4]))).toEqual([3, 4, 3, 4]);
    expect([1, 2, 3].map((s) => recipientOf("1v1v1", s, [2]))).toEqual([2, 2, 2]);
    const outcome = await computeBattle("s", ["a", "b", "c", "d"], "2v2", "classic", [CASE]);
    const team = (t: number) => outcome.rolls[0]!.filter((r) => teamOf("2v2", r.seat) === t).reduce((s, r) => s + r.value, 0);
    if (!outcome.winner.tiebreak) expect(team(outcome.winner.team)).toBeGreaterThan(team(3 - outcome.winner.team));
    expect(outcome.winner.seats).toEqual(outcome.winner.team === 1 ? [1, 2] : [3, 4]);
  });

  it("verifyBattle checks the seed against its hash and recomputes the same outcome", async () => {
    const hash = await hashServerSeed("revealed");
    const input = { serverSeed: "revealed", serverSeedHash: hash, clientSeeds: ["a", "b"], format: "1v1" as const, mode: "classic" as const, rounds: [CASE, CASE] };
    const proof = await verifyBattle(input);
    expect(proof.seedMatchesHash).toBe(true);
    expect(proof.rolls).toEqual((await computeBattle("revealed", ["a", "b"], "1v1", "classic", [CASE, CASE])).rolls);
    expect((await verifyBattle({ ...input, serverSeed: "other" })).seedMatchesHash).toBe(false);
    // A different client seed of any seat changes the rolls.
    expect((await verifyBattle({ ...input, clientSeeds: ["a", "c"] })).rolls).not.toEqual(proof.rolls);
  });
});
