import { describe, expect, it } from "vitest";
import { computeRoll, hashServerSeed, pickIndex, verifyOpening } from "../../src/fairness/verify";
import { rollItems } from "../../src/features/openings/rolls";
import type { RevisionItem } from "../../src/db/schema";

describe("provably fair rolls", () => {
  it("matches known-answer vectors computed with Node's crypto module", async () => {
    // node -e: createHmac("sha256", "server-seed").update("client-seed:0") = e4855fab63cbdebb…
    expect(await computeRoll("server-seed", "client-seed", 0, 1000)).toBe(892);
    expect(await computeRoll("server-seed", "client-seed", 0, 1_000_000_007)).toBe(892_660_127);
    expect(await hashServerSeed("server-seed")).toBe("91024ec49c5bec0b689e42892526320fce08337205c91de94c7a588c20d08eeb");
  });

  it("uses all 8 digest bytes: known answers for total weights far above 2^32", async () => {
    // Computed once with Node's crypto module, independently of src/ (node 20, run by hand):
    //   const d = createHmac("sha256", serverSeed).update(`${clientSeed}:${nonce}`).digest();
    //   roll = (d.readBigUInt64BE(0) * BigInt(total)) >> 64n
    // A mapping that reads only 4 bytes ((d.readUInt32BE(0) × total) >> 32) matches the two vectors
    // above, but not these: it gives 89_266_012_120, 48_814_006_824, 8_040_367_578_415_103,
    // 78_345_517_766 and 735_755_681_060.
    expect(await computeRoll("server-seed", "client-seed", 0, 100_000_000_000)).toBe(89_266_012_129); // digest e4855fab63cbdebb…
    expect(await computeRoll("server-seed", "client-seed", 1, 100_000_000_000)).toBe(48_814_006_826); // digest 7cf6bf5d0d1cd9de…
    expect(await computeRoll("server-seed", "client-seed", 0, Number.MAX_SAFE_INTEGER)).toBe(8_040_367_579_232_634);
    expect(await computeRoll("a".repeat(64), "player", 42, 99_999_999_999)).toBe(78_345_517_784); // digest c89084bec3ab924f…
    expect(await computeRoll("f".repeat(64), "statistics", 123_456, 1_000_000_000_000)).toBe(735_755_681_145); // digest bc5a7bfc5dc9c5ba…
  });

  it("rolls and verifies the largest case the schema allows (100 items × weight 10^9) with the full 8 bytes", async () => {
    // Same Node computation as above: total 100,000,000,000, so nonce 0 rolls 89,266,012,129 (item 89)
    // and nonce 1 rolls 48,814,006,826 (item 48); each item owns 10^9 consecutive rolls.
    const items: RevisionItem[] = Array.from({ length: 100 }, (_, i) => ({
      id: `item-${i}`,
      name: `Item ${i}`,
      imageUrl: null,
      rarity: "consumer",
      value: 1,
      kind: "skin",
      weight: 1_000_000_000,
    }));
    const rolls = await rollItems({ seed: "server-seed", clientSeed: "client-seed" }, 0, 2, items);
    expect(rolls.map((r) => [r.nonce, r.roll, r.item.id])).toEqual([
      [0, 89_266_012_129, "item-89"],
      [1, 48_814_006_826, "item-48"],
    ]);
    const weights = items.map((i) => i.weight);
    // hashServerSeed("server-seed") is the vector checked above.
    const serverSeedHash = "91024ec49c5bec0b689e42892526320fce08337205c91de94c7a588c20d08eeb";
    expect(await verifyOpening({ serverSeed: "server-seed", serverSeedHash, clientSeed: "client-seed", nonce: 1, weights })).toEqual({
      seedMatchesHash: true,
      roll: 48_814_006_826,
      itemIndex: 48,
    });
  });

  it("is deterministic and depends on every input", async () => {
    const a = await computeRoll("s", "c", 1, 1_000_000);
    expect(await computeRoll("s", "c", 1, 1_000_000)).toBe(a);
    const others = await Promise.all([computeRoll("s2", "c", 1, 1_000_000), computeRoll("s", "c2", 1, 1_000_000), computeRoll("s", "c", 2, 1_000_000)]);
    expect(others.every((r) => r !== a)).toBe(true);
  });

  it("maps rolls onto integer weight ranges", () => {
    const weights = [1, 60, 39];
    expect(pickIndex(weights, 0)).toBe(0);
    expect(pickIndex(weights, 1)).toBe(1);
    expect(pickIndex(weights, 60)).toBe(1);
    expect(pickIndex(weights, 61)).toBe(2);
    expect(pickIndex(weights, 99)).toBe(2);
    expect(() => pickIndex(weights, 100)).toThrow(RangeError);
  });

  it("rejects nonsense inputs instead of rolling", async () => {
    await expect(computeRoll("s", "c", -1, 10)).rejects.toThrow(RangeError);
    await expect(computeRoll("s", "c", 0, 0)).rejects.toThrow(RangeError);
  });

  it("verifyOpening recomputes the roll and checks the committed hash", async () => {
    const serverSeed = "a".repeat(64);
    const serverSeedHash = await hashServerSeed(serverSeed);
    const weights = [5, 10, 85];
    const roll = await computeRoll(serverSeed, "player", 7, 100);
    const ok = await verifyOpening({ serverSeed, serverSeedHash, clientSeed: "player", nonce: 7, weights });
    expect(ok).toEqual({ seedMatchesHash: true, roll, itemIndex: pickIndex(weights, roll) });
    const forged = await verifyOpening({ serverSeed: "b".repeat(64), serverSeedHash, clientSeed: "player", nonce: 7, weights });
    expect(forged.seedMatchesHash).toBe(false);
  });

  it("drops items with the frequencies their weights promise (chi-square, fixed seed)", async () => {
    const items: RevisionItem[] = [1, 9, 30, 60].map((weight, i) => ({
      id: `item-${i}`,
      name: `Item ${i}`,
      imageUrl: null,
      rarity: "consumer",
      value: 1,
      kind: "skin",
      weight,
    }));
    const draws = 20_000;
    const rolls = await rollItems({ seed: "f".repeat(64), clientSeed: "statistics" }, 0, draws, items);
    const observed = new Map<string, number>();
    for (const r of rolls) observed.set(r.item.id, (observed.get(r.item.id) ?? 0) + 1);
    let chiSquare = 0;
    for (const item of items) {
      const expected = (draws * item.weight) / 100;
      const seen = observed.get(item.id) ?? 0;
      chiSquare += (seen - expected) ** 2 / expected;
    }
    // 3 degrees of freedom: 16.27 is the 0.1% critical value. A biased mapping (say, an
    // off-by-one range or modulo over a tiny space) lands far above it.
    expect(chiSquare).toBeLessThan(16.27);
    // And the rarest item does appear, at roughly 1%.
    expect(observed.get("item-0") ?? 0).toBeGreaterThan(120);
    expect(observed.get("item-0") ?? 0).toBeLessThan(290);
  });
});
