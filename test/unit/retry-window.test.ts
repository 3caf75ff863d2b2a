import { describe, expect, it } from "vitest";
import { retryWindowMs } from "../../src/client/channel";
import { DEFAULT_TUNING } from "../../src/client/realtime";

describe("the SDK's reconnect window", () => {
  it("is minDelayMs for the first attempt after a drop and for the one after a failure, then doubles up to maxDelayMs", () => {
    const windows = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => retryWindowMs(attempt, DEFAULT_TUNING));
    expect(windows).toEqual([2_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});
