import { describe, expect, it } from "vitest";
import { AlarmSchedule } from "../../../src/realtime/alarm-schedule";
import { PRESENCE_RENEW_MS, PRESENCE_SETTLE_MS, Presence } from "../../../src/realtime/presence";
import { withFreshStorage as withStorage } from "./storage";

// A restart's storm brings a hub's sockets (and a shard's hundreds) back within a second or two:
// the broadcaster gets one report of the count they settle on, not one per socket, and the object
// counts its sockets once per report, not once per socket event.

/** A room's socket count as a test sets it, and how often Presence asked for it. */
function room(initial = 0) {
  const state = { sockets: initial, counted: 0, sent: [] as number[] };
  const count = () => (state.counted++, state.sockets);
  return { state, count };
}

/** A Presence whose first report stays at the broadcaster until `release()`; later ones answer at once. */
function slowFirstReport(storage: DurableObjectStorage, initial: number) {
  const { state, count } = room(initial);
  let release: () => void = () => undefined;
  const slow = new Promise<void>((resolve) => (release = resolve));
  const alarms = new AlarmSchedule(storage);
  const presence = new Presence(
    alarms,
    count,
    async (sockets) => {
      state.sent.push(sockets);
      if (state.sent.length === 1) await slow;
    },
    () => ({}),
  );
  return { state, presence, release, alarms };
}

/** Until the first report (after the settle) is on its way. */
const firstReportSent = () => new Promise((resolve) => setTimeout(resolve, PRESENCE_SETTLE_MS + 50));

describe("presence reports", () => {
  it("a burst of changes is one report of the count they settle on, counted once, after the count is still", async () => {
    await withStorage(async (storage) => {
      const { state, count } = room();
      const presence = new Presence(new AlarmSchedule(storage), count, async (sockets) => void state.sent.push(sockets), () => ({}));
      const startedAt = Date.now();
      const reports = [1, 2, 3, 4, 5].map((n) => ((state.sockets = n), presence.report()));
      expect(state.sent).toEqual([]);
      await Promise.all(reports);
      expect(state.sent).toEqual([5]);
      expect(state.counted).toBe(1);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(PRESENCE_SETTLE_MS - 5);
      // While sockets are open the lease alarm is set.
      expect(await storage.getAlarm()).toBeGreaterThan(Date.now() + PRESENCE_RENEW_MS - 60_000);
    });
  });

  it("a change while a report is on its way is reported after it, and the last count always arrives", async () => {
    await withStorage(async (storage) => {
      const { state, presence, release } = slowFirstReport(storage, 3);
      const first = presence.report();
      await firstReportSent();
      expect(state.sent).toEqual([3]);
      // The first report is still at the broadcaster: these only say the count moved.
      state.sockets = 2;
      const later = [presence.report(), ((state.sockets = 0), presence.report())];
      release();
      await Promise.all([first, ...later]);
      expect(state.sent).toEqual([3, 0]);
      // No sockets: the lease is let go.
      expect(await storage.getAlarm()).toBeNull();
      // And a new change after that starts a report of its own.
      state.sockets = 1;
      await presence.report();
      expect(state.sent).toEqual([3, 0, 1]);
    });
  });

  it("a socket that connects while a zero is reported keeps the alarm its audit asked for", async () => {
    await withStorage(async (storage) => {
      const { state, presence, release, alarms } = slowFirstReport(storage, 0);
      const zero = presence.report();
      await firstReportSent();
      // The connect: its audit's alarm, then its report, while the zero is on its way.
      const auditAt = Date.now() + 5_000;
      await alarms.ask(auditAt);
      state.sockets = 1;
      const again = presence.report();
      release();
      await Promise.all([zero, again]);
      expect(state.sent).toEqual([0, 1]);
      expect(await storage.getAlarm()).toBe(auditAt);
    });
  });

  it("a failed report is logged and fails nothing; the next change is reported", async () => {
    await withStorage(async (storage) => {
      const { state, count } = room(2);
      const presence = new Presence(
        new AlarmSchedule(storage),
        count,
        async (sockets) => {
          if (state.sent.push(sockets) === 1) throw new Error("broadcaster unreachable");
        },
        () => ({ test: true }),
      );
      await expect(presence.report()).resolves.toBeUndefined();
      state.sockets = 1;
      await presence.report();
      expect(state.sent).toEqual([2, 1]);
    });
  });
});
