import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ISOLATE_BATCH_MAX_DROPS, queueDrops } from "../../../src/realtime/drop-batcher";
import type { Drop } from "../../../src/realtime/events";
import type { HeldDrop } from "../../../src/realtime/held-drops";
import { REVEAL_GRACE_MS, revealMs } from "../../../src/realtime/reveal";

const drop = (n: number): Drop => ({
  id: `drop-${n}`,
  caseId: "case",
  item: { id: `item-${n}`, name: `Item ${n}`, imageUrl: null, rarity: "consumer", value: n, kind: "skin" },
  userDisplayName: "Neo",
  at: n,
});

/** An env whose broadcaster records hold calls, and a ctx that collects waitUntil promises. */
function fakes() {
  const calls: HeldDrop[][] = [];
  const stub = { hold: async (drops: HeldDrop[]) => void calls.push(drops) };
  const fakeEnv = { ...env, BROADCASTER: { idFromName: () => ({}), get: () => stub } } as unknown as Env;
  const waits: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void waits.push(p), passThroughOnException() {} } as unknown as ExecutionContext;
  return { calls, fakeEnv, ctx, settle: () => Promise.all(waits) };
}

describe("drop batching in the Worker", () => {
  it("sends a burst of openings' drops to the broadcaster in one call", async () => {
    const { calls, fakeEnv, ctx, settle } = fakes();
    for (let n = 1; n <= 12; n++) queueDrops(fakeEnv, ctx, [drop(n)]);
    await settle();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((held) => held.drop.at)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("stamps each drop with its reveal time: REVEAL_MS (and the grace) after it was queued, as the opening was answered", async () => {
    const { calls, fakeEnv, ctx, settle } = fakes();
    const before = Date.now();
    queueDrops(fakeEnv, ctx, [drop(1)]);
    const after = Date.now();
    await settle();
    const revealAt = calls[0]![0]!.revealAt;
    expect(revealAt).toBeGreaterThanOrEqual(before + revealMs(env) + REVEAL_GRACE_MS);
    expect(revealAt).toBeLessThanOrEqual(after + revealMs(env) + REVEAL_GRACE_MS);
  });

  it("keeps only the newest drops of a flood, and starts a new window afterwards", async () => {
    const { calls, fakeEnv, ctx, settle } = fakes();
    queueDrops(fakeEnv, ctx, Array.from({ length: ISOLATE_BATCH_MAX_DROPS + 30 }, (_, i) => drop(i + 1)));
    await settle();
    queueDrops(fakeEnv, ctx, [drop(999)]);
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[0]).toHaveLength(ISOLATE_BATCH_MAX_DROPS);
    expect(calls[0]![0]).toMatchObject({ drop: { at: 31 } });
    expect(calls[1]).toEqual([{ drop: drop(999), revealAt: expect.any(Number) }]);
  });

  it("ignores an empty list without scheduling anything", async () => {
    const { calls, fakeEnv, ctx, settle } = fakes();
    queueDrops(fakeEnv, ctx, []);
    await settle();
    expect(calls).toHaveLength(0);
  });
});
