import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PRESENCE_RENEW_MS, PRESENCE_SETTLE_MS, Presence } from "../../../src/realtime/presence";

// A restart's storm brings a hub's sockets (and a shard's hundreds) back within a second or two:
// the broadcaster gets one report of the count they settle on, not one per socket.

/** Runs `fn` with the storage of an object nothing else uses (a hub named for this test alone). */
function withStorage<T>(fn: (storage: DurableObjectStorage) => Promise<T>): Promise<T> {
  const stub = env.USER_HUB.get(env.USER_HUB.idFromName(`presence-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_hub, state: DurableObjectState) => fn(state.storage));
}

describe("presence reports", () => {
  it("a burst of changes is one report of the latest count, sent once the count has settled", async () => {
    await withStorage(async (storage) => {
      const sent: number[] = [];
      const presence = new Presence(storage, async (sockets) => void sent.push(sockets), () => ({}));
      const startedAt = Date.now();
      const reports = [1, 2, 3, 4, 5].map((n) => presence.report(n));
      expect(sent).toEqual([]);
      await Promise.all(reports);
      expect(sent).toEqual([5]);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(PRESENCE_SETTLE_MS - 5);
      // While sockets are open the lease alarm is set.
      expect(await storage.getAlarm()).toBeGreaterThan(Date.now() + PRESENCE_RENEW_MS - 60_000);
    });
  });

  it("a change while a report is on its way is reported after it, and the last count always arrives", async () => {
    await withStorage(async (storage) => {
      const sent: number[] = [];
      let release: () => void = () => undefined;
      const slow = new Promise<void>((resolve) => (release = resolve));
      const presence = new Presence(
        storage,
        async (sockets) => {
          sent.push(sockets);
          if (sent.length === 1) await slow;
        },
        () => ({}),
      );
      const first = presence.report(3);
      await new Promise((resolve) => setTimeout(resolve, PRESENCE_SETTLE_MS + 50));
      expect(sent).toEqual([3]);
      // The first report is still at the broadcaster: these only move the count.
      const later = [presence.report(2), presence.report(0)];
      release();
      await Promise.all([first, ...later]);
      expect(sent).toEqual([3, 0]);
      // No sockets: the lease is let go.
      expect(await storage.getAlarm()).toBeNull();
      // And a new change after that starts a report of its own.
      await presence.report(1);
      expect(sent).toEqual([3, 0, 1]);
    });
  });

  it("a failed report is logged and fails nothing; the next change is reported", async () => {
    await withStorage(async (storage) => {
      const sent: number[] = [];
      const presence = new Presence(
        storage,
        async (sockets) => {
          if (sent.push(sockets) === 1) throw new Error("broadcaster unreachable");
        },
        () => ({ test: true }),
      );
      await expect(presence.report(2)).resolves.toBeUndefined();
      await presence.report(1);
      expect(sent).toEqual([2, 1]);
    });
  });
});
