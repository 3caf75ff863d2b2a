import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ISOLATE_BATCH_MAX_DROPS, queueDrops } from "../../../src/realtime/drop-batcher";
import type { Drop, PublicEvent } from "../../../src/realtime/events";

const drop = (n: number): Drop => ({
  caseId: "case",
  item: { id: `item-${n}`, name: `Item ${n}`, imageUrl: null, rarity: "consumer", value: n, kind: "skin" },
  userDisplayName: "Neo",
  at: n,
});

/** An env whose broadcaster records publish calls, and a ctx that collects waitUntil promises. */
function fakes() {
  const calls: PublicEvent[][] = [];
  const stub = { publish: async (events: PublicEvent[]) => void calls.push(events) };
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
    expect(calls[0]!.map((e) => (e.event === "drops:new" ? e.data.at : -1))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("keeps only the newest drops of a flood, and starts a new window afterwards", async () => {
    const { calls, fakeEnv, ctx, settle } = fakes();
    queueDrops(fakeEnv, ctx, Array.from({ length: ISOLATE_BATCH_MAX_DROPS + 30 }, (_, i) => drop(i + 1)));
    await settle();
    queueDrops(fakeEnv, ctx, [drop(999)]);
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[0]).toHaveLength(ISOLATE_BATCH_MAX_DROPS);
    expect(calls[0]![0]).toMatchObject({ data: { at: 31 } });
    expect(calls[1]).toEqual([{ event: "drops:new", data: drop(999) }]);
  });

  it("ignores an empty list without scheduling anything", async () => {
    const { calls, fakeEnv, ctx, settle } = fakes();
    queueDrops(fakeEnv, ctx, []);
    await settle();
    expect(calls).toHaveLength(0);
  });
});
