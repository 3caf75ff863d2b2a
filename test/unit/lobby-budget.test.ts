import { describe, expect, it } from "vitest";
import {
  MAX_FRAME_MS,
  MIN_FRAME_MS,
  SEND_US,
  SHARD_FILL,
  SHARD_FRAME_MS,
  SHARD_TARGET_SOCKETS,
  SHARD_TICKER_BUDGET,
  frameWindowMs,
  shardsFor,
} from "../../src/realtime/lobby-budget";

describe("lobby sizing (the budget the shards and the ticker follow)", () => {
  it("a full shard's frame fits SHARD_FRAME_MS at the measured send cost", () => {
    expect(SHARD_TARGET_SOCKETS * SEND_US).toBeLessThanOrEqual(SHARD_FRAME_MS * 1000);
    expect(SHARD_TARGET_SOCKETS).toBe(2000);
  });

  it("opens a shard once the average one is SHARD_FILL full, never fewer than the floor", () => {
    const fillAt = SHARD_TARGET_SOCKETS * SHARD_FILL;
    expect(shardsFor(0, SHARD_TARGET_SOCKETS)).toBe(1);
    expect(shardsFor(fillAt, SHARD_TARGET_SOCKETS)).toBe(1);
    expect(shardsFor(fillAt + 1, SHARD_TARGET_SOCKETS)).toBe(2);
    expect(shardsFor(100_000, SHARD_TARGET_SOCKETS)).toBe(Math.ceil(100_000 / fillAt));
    expect(shardsFor(10, 3, 4)).toBe(5);
    expect(shardsFor(1, 3, 4)).toBe(4);
  });

  it("keeps four frames a second while shards are within the target, fewer for a crowded shard or a huge lobby", () => {
    expect(frameWindowMs(1, 0)).toBe(MIN_FRAME_MS);
    expect(frameWindowMs(67, SHARD_TARGET_SOCKETS * SHARD_FILL)).toBe(MIN_FRAME_MS);
    // One shard of 8,000 sockets (a fixed count too small): the ticker stays within its CPU share.
    const crowded = frameWindowMs(1, 8_000);
    expect(crowded).toBeGreaterThan(MIN_FRAME_MS);
    expect((8_000 * SEND_US * (1000 / crowded)) / 1e6).toBeLessThanOrEqual(SHARD_TICKER_BUDGET + 0.001);
    expect(frameWindowMs(5_000, 1_500)).toBeGreaterThan(MIN_FRAME_MS);
    expect(frameWindowMs(1, 10_000_000)).toBe(MAX_FRAME_MS);
  });
});
