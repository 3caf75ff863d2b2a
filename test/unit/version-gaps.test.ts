import { describe, expect, it } from "vitest";
import { VersionGaps } from "../../src/client/version-gaps";

const GRACE = 30;
const later = () => new Promise((resolve) => setTimeout(resolve, GRACE * 3));

function tracker() {
  const gaps: number[] = [];
  const t = new VersionGaps(GRACE, () => gaps.push(Date.now()));
  return { t, gaps };
}

describe("VersionGaps", () => {
  it("versions in order, repeated or older are no gap", async () => {
    const { t, gaps } = tracker();
    t.reached(4);
    for (const v of [5, 5, 6, 3, 7]) t.delivered(v);
    t.reached(7);
    await later();
    expect(gaps).toEqual([]);
  });

  it("a skipped version that arrives within the grace is no gap; one that never does is one gap", async () => {
    const { t, gaps } = tracker();
    t.reached(1);
    t.delivered(3);
    t.delivered(2);
    await later();
    expect(gaps).toEqual([]);
    t.delivered(6);
    await later();
    expect(gaps).toHaveLength(1);
    t.delivered(7);
    await later();
    expect(gaps).toHaveLength(1);
  });

  it("a welcome ahead of what was delivered is a gap unless the missing events follow in time", async () => {
    const { t, gaps } = tracker();
    t.reached(1);
    t.reached(3);
    t.delivered(2);
    t.delivered(3);
    await later();
    expect(gaps).toEqual([]);
    t.reached(5);
    await later();
    expect(gaps).toHaveLength(1);
  });

  it("a jump past MAX_PENDING is a gap at once; reset forgets everything until the next welcome", async () => {
    const { t, gaps } = tracker();
    t.reached(0);
    t.delivered(VersionGaps.MAX_PENDING + 5);
    expect(gaps).toHaveLength(1);
    t.delivered(VersionGaps.MAX_PENDING + 7);
    t.reset();
    t.reached(500);
    t.delivered(501);
    await later();
    expect(gaps).toHaveLength(1);
  });
});
