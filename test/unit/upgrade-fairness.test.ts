import { describe, expect, it } from "vitest";
import { computeRoll, upgradeChance, upgradeWon, UPGRADE_ROLL_RANGE, verifyUpgrade } from "../../src/fairness/verify";

describe("upgrade chance and roll (pure)", () => {
  it("computes the chance in basis points with integer floor division", () => {
    // 800 × 9500 / 950 = 8000 exactly; one cent more on the target drops below it.
    expect(upgradeChance(800, 950, 500)).toBe(8000);
    expect(upgradeChance(800, 949, 500)).toBe(8008);
    expect(upgradeChance(10, 950, 500)).toBe(100);
    expect(upgradeChance(10, 951, 500)).toBe(99);
    expect(upgradeChance(1, 3, 0)).toBe(3333);
    expect(upgradeChance(0, 100, 500)).toBe(0);
    // The largest stake the API allows (5 items × 10^9 cents) stays exact.
    expect(upgradeChance(5_000_000_000, 5_000_000_001 * 2, 500)).toBe(4749);
    expect(() => upgradeChance(100, 0, 500)).toThrow(RangeError);
    expect(() => upgradeChance(100, 100, 10_001)).toThrow(RangeError);
    expect(() => upgradeChance(1.5, 100, 500)).toThrow(RangeError);
  });

  it("rolls on [0, 1,000,000) with the openings' roll: known answers from Node's crypto module", async () => {
    // node: (createHmac("sha256", s).update(`${c}:${n}`).digest().readBigUInt64BE(0) * 1000000n) >> 64n
    expect(await computeRoll("server-seed", "client-seed", 0, UPGRADE_ROLL_RANGE)).toBe(892_660); // digest e4855fab63cbdebb…
    expect(await computeRoll("server-seed", "client-seed", 1, UPGRADE_ROLL_RANGE)).toBe(488_140); // digest 7cf6bf5d0d1cd9de…
    expect(await computeRoll("a".repeat(64), "player", 42, UPGRADE_ROLL_RANGE)).toBe(783_455); // digest c89084bec3ab924f…
    // A win is a roll strictly below chance × 100.
    expect(upgradeWon(892_659, 8927)).toBe(true);
    expect(upgradeWon(892_660, 8926)).toBe(false);
    expect(upgradeWon(892_700, 8927)).toBe(false);
  });

  it("verifyUpgrade recomputes the seed hash, the chance, the roll and the outcome", async () => {
    // SHA-256("server-seed"), checked against Node in the openings' vectors.
    const serverSeedHash = "91024ec49c5bec0b689e42892526320fce08337205c91de94c7a588c20d08eeb";
    const input = { serverSeed: "server-seed", serverSeedHash, clientSeed: "client-seed", nonce: 1, stakedValue: 500, targetValue: 950, houseEdgeBasisPoints: 500 };
    // chance 500 × 9500 / 950 = 5000 bp: the roll 488,140 is below 500,000, a win.
    expect(await verifyUpgrade(input)).toEqual({ seedMatchesHash: true, chance: 5000, roll: 488_140, won: true });
    expect(await verifyUpgrade({ ...input, targetValue: 1000 })).toEqual({ seedMatchesHash: true, chance: 4750, roll: 488_140, won: false });
    expect((await verifyUpgrade({ ...input, serverSeedHash: "0".repeat(64) })).seedMatchesHash).toBe(false);
  });

  it("2,000 upgrades at 50 % on a fixed seed win close to half the time", async () => {
    // A fixed seed makes this deterministic (997 wins, by Node's crypto module too); the bound is
    // what an honest roll meets with 99.7 % probability (±3σ, σ = √(2000 × ¼) ≈ 22.4), so a biased
    // mapping (a modulo, 4 bytes instead of 8, an off-by-one at the threshold) would stand out.
    let wins = 0;
    for (let nonce = 0; nonce < 2_000; nonce++) {
      if (upgradeWon(await computeRoll("upgrader-statistics-seed", "fixed-client", nonce, UPGRADE_ROLL_RANGE), 5000)) wins++;
    }
    expect(wins).toBe(997);
    expect(Math.abs(wins - 1_000)).toBeLessThanOrEqual(67);
  });
});
