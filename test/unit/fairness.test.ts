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
