import { describe, expect, it } from "vitest";
import { economicsOf, oddsOf } from "../../src/features/cases/odds";

const sumPercent = (values: string[]) => values.reduce((sum, v) => sum + Math.round(Number(v) * 10_000), 0);

describe("odds disclosure", () => {
  it("derives chances from weights and shows percentages that add up to exactly 100", () => {
    const { totalWeight, items } = oddsOf([1, 1, 1]);
    expect(totalWeight).toBe(3);
    expect(items.map((i) => i.chancePercent).sort()).toEqual(["33.3333", "33.3333", "33.3334"]);
    expect(sumPercent(items.map((i) => i.chancePercent))).toBe(1_000_000);
    expect(items[0]!.chance).toBeCloseTo(1 / 3, 12);
  });

  it("keeps the sum exact for awkward weights", () => {
    for (const weights of [[7, 13, 17, 19, 23], [1, 999_999_999], [3, 3, 3, 3, 3, 3, 3], [40, 250, 200, 400, 30, 5]]) {
      expect(sumPercent(oddsOf(weights).items.map((i) => i.chancePercent))).toBe(1_000_000);
    }
  });

  it("computes expected value in cents and RTP against the price", () => {
    // EV = (1500*1 + 5*60 + 100*39) / 100 = 57 cents; RTP 57/250 = 22.8 %.
    expect(economicsOf([{ value: 1500, weight: 1 }, { value: 5, weight: 60 }, { value: 100, weight: 39 }], 250)).toEqual({ expectedValue: 57, rtpPercent: 22.8 });
  });
});
