import { describe, expect, it } from "vitest";
import { AlarmSchedule } from "../../../src/realtime/alarm-schedule";
import { countAlarmReads, withFreshStorage } from "./storage";

// A room's alarm is asked for by every connect (its audit) and by its presence lease. A restart's
// storm brings hundreds of connects to one lobby shard: they must cost one storage round trip, not
// one each, and never leave a connect without the audit it is owed.

/** Runs `fn` with the storage of an object nothing else uses, its getAlarm calls counted. */
function withStorage<T>(fn: (storage: DurableObjectStorage, reads: () => number) => Promise<T>): Promise<T> {
  return withFreshStorage(async (storage) => {
    const counted = countAlarmReads(storage);
    try {
      return await fn(storage, counted.reads);
    } finally {
      counted.restore();
    }
  });
}

describe("a room's alarm schedule", () => {
  it("a burst of asks, at once or one after another, reads storage once and keeps the earliest time asked for", async () => {
    await withStorage(async (storage, reads) => {
      const alarms = new AlarmSchedule(storage);
      const at = Date.now() + 8_000;
      await Promise.all(Array.from({ length: 20 }, (_, i) => alarms.ask(at + i * 10, at + 12_000)));
      for (let i = 0; i < 20; i++) await alarms.ask(at + 500 + i, at + 12_000);
      expect(reads()).toBe(1);
      expect(await storage.getAlarm()).toBe(at);
    });
  });

  it("an earlier time than the one asked for goes to storage; an earlier alarm already set is kept", async () => {
    await withStorage(async (storage) => {
      const alarms = new AlarmSchedule(storage);
      const at = Date.now() + 30_000;
      await alarms.ask(at);
      // An audit due sooner than the one asked for (a resumed connect after a ticket connect).
      await alarms.ask(at - 20_000, at - 10_000);
      expect(await storage.getAlarm()).toBe(at - 20_000);
      // A later ask (the presence lease) keeps it.
      await alarms.ask(at + 600_000);
      expect(await storage.getAlarm()).toBe(at - 20_000);
    });
  });

  it("an ask whose storage read fails fails alone: the asks that waited for it set the alarm themselves", async () => {
    await withStorage(async (storage) => {
      const alarms = new AlarmSchedule(storage);
      const getAlarm = storage.getAlarm;
      let failed = false;
      storage.getAlarm = (options) => {
        if (failed) return getAlarm(options);
        failed = true;
        return Promise.reject(new Error("storage unavailable"));
      };
      const at = Date.now() + 8_000;
      const [first, ...rest] = [alarms.ask(at), alarms.ask(at + 100, at + 12_000), alarms.ask(at + 200, at + 12_000)];
      await expect(first).rejects.toThrow("storage unavailable");
      await Promise.all(rest);
      expect(await storage.getAlarm()).toBe(at + 100);
    });
  });

  it("after the alarm is cleared or has rung, the next ask sets it again instead of trusting memory", async () => {
    await withStorage(async (storage, reads) => {
      const alarms = new AlarmSchedule(storage);
      const at = Date.now() + 8_000;
      await alarms.ask(at);
      await alarms.clear();
      expect(await storage.getAlarm()).toBeNull();
      await alarms.ask(at + 1_000);
      expect(await storage.getAlarm()).toBe(at + 1_000);
      // The runtime cleared it by running alarm() (here: deleted behind the schedule's back).
      await storage.deleteAlarm();
      alarms.rang();
      await alarms.ask(at + 2_000);
      expect(await storage.getAlarm()).toBe(at + 2_000);
      expect(reads()).toBe(3 + 3);
    });
  });
});
