import { describe, expect, it } from "vitest";
import { demoRoll } from "../../src/site/demo-spin";
import type { CaseItemView } from "../../src/site/types";

const item = (id: string, weight: number): CaseItemView => ({ id, name: id, imageUrl: null, rarity: "consumer", value: 1, kind: "skin", weight, chance: 0, chancePercent: "0" });
const items = [item("common", 7), item("rare", 2), item("epic", 1)];

/** A random source that hands out the given draws in turn. */
const draws = (...values: bigint[]) => (buffer: BigUint64Array) => void (buffer[0] = values.shift() ?? 0n);

describe("demo spin roll (the browser's own, over the public odds)", () => {
  it("maps tickets onto the weight ranges in order", () => {
    expect(demoRoll(items, draws(0n)).id).toBe("common");
    expect(demoRoll(items, draws(6n)).id).toBe("common");
    expect(demoRoll(items, draws(7n)).id).toBe("rare");
    expect(demoRoll(items, draws(8n)).id).toBe("rare");
    expect(demoRoll(items, draws(9n)).id).toBe("epic");
    expect(demoRoll(items, draws(19n)).id).toBe("epic");
  });

  it("rejects draws above the last whole multiple of the total weight (no modulo bias)", () => {
    const top = (1n << 64n) - 1n;
    expect(demoRoll(items, draws(top, 7n)).id).toBe("rare");
  });

  it("follows the odds with crypto.getRandomValues", () => {
    const counts: Record<string, number> = { common: 0, rare: 0, epic: 0 };
    for (let i = 0; i < 20_000; i++) counts[demoRoll(items).id]! += 1;
    expect(counts.common! / 20_000).toBeCloseTo(0.7, 1);
    expect(counts.rare! / 20_000).toBeCloseTo(0.2, 1);
    expect(counts.epic! / 20_000).toBeCloseTo(0.1, 1);
  });
});
