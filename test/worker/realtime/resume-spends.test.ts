import { describe, expect, it } from "vitest";
import { RESUME_TTL_MS } from "../../../src/realtime/resume";
import { ResumeSpends } from "../../../src/realtime/resume-spends";
import { rowsWrittenBy, withFreshStorage } from "./storage";

// Single use of resume credentials without a write per reconnect: what a hub's instances (a new
// ResumeSpends over the same storage is what a restart or a wake gives) take and refuse.

let nonces = 0;
const credential = (epoch: number, at = Date.now()) => ({ nonce: `nonce-${++nonces}`, expiresAt: at + RESUME_TTL_MS, epoch });

describe("resume spends", () => {
  it("a storm's credentials are spent in memory: one write for the instance, none per credential, and each only once", async () => {
    await withFreshStorage(async (storage) => {
      const before = new ResumeSpends(storage.sql);
      const minted = Array.from({ length: 20 }, () => credential(before.resumeEpoch()));
      const after = new ResumeSpends(storage.sql);
      const at = Date.now();
      let outcomes: string[] = [];
      const written = await rowsWrittenBy(storage.sql, () => (outcomes = minted.map((c) => after.spend(c, at))));
      expect(outcomes).toEqual(minted.map(() => "spent"));
      // The epoch moved on once; no spent_resumes row.
      expect(written).toBe(1);
      expect(storage.sql.exec("SELECT COUNT(*) AS n FROM spent_resumes").one().n).toBe(0);
      expect(minted.map((c) => after.spend(c, at))).toEqual(minted.map(() => "used"));
    });
  });

  it("a credential spent in one instance's memory is refused by every later one, which moves the epoch on before it takes anything", async () => {
    await withFreshStorage(async (storage) => {
      const c = credential(new ResumeSpends(storage.sql).resumeEpoch());
      const first = new ResumeSpends(storage.sql);
      expect(first.spend(c, Date.now())).toBe("spent");
      const next = new ResumeSpends(storage.sql);
      expect(next.spend(c, Date.now())).toBe("stale");
      // Also after the next one has taken a credential of its own and moved the epoch.
      expect(next.spend(credential(first.resumeEpoch()), Date.now())).toBe("spent");
      expect(next.spend(c, Date.now())).toBe("stale");
    });
  });

  it("a credential minted by an instance after its move is spent in storage, so the next instance finds it spent", async () => {
    await withFreshStorage(async (storage) => {
      const hub = new ResumeSpends(storage.sql);
      expect(hub.spend(credential(hub.resumeEpoch()), Date.now())).toBe("spent");
      // A client dropping twice while the hub stays awake: its second credential is of this epoch.
      const again = credential(hub.resumeEpoch());
      let outcome = "";
      const written = await rowsWrittenBy(storage.sql, () => (outcome = hub.spend(again, Date.now())));
      expect(outcome).toBe("spent");
      expect(written).toBe(1);
      expect(hub.spend(again, Date.now())).toBe("used");
      const next = new ResumeSpends(storage.sql);
      expect(next.spend(again, Date.now())).toBe("used");
      // That refusal moved nothing: the next instance's own credentials are still of the epoch it will move to.
      expect(next.spend(credential(hub.resumeEpoch()), Date.now())).toBe("spent");
    });
  });

  it("refuses a credential two epochs old or of no epoch, and a refusal writes nothing", async () => {
    await withFreshStorage(async (storage) => {
      const old = credential(new ResumeSpends(storage.sql).resumeEpoch());
      const middle = new ResumeSpends(storage.sql);
      expect(middle.spend(credential(middle.resumeEpoch()), Date.now())).toBe("spent");
      const latest = new ResumeSpends(storage.sql);
      let outcomes: string[] = [];
      const written = await rowsWrittenBy(storage.sql, () => (outcomes = [latest.spend(old, Date.now()), latest.spend(credential(Number.NaN), Date.now()), latest.spend(credential(latest.resumeEpoch() + 5), Date.now())]));
      expect(outcomes).toEqual(["stale", "stale", "stale"]);
      expect(written).toBe(0);
    });
  });

  it("an instance that has not moved refuses a credential spent in storage without moving", async () => {
    await withFreshStorage(async (storage) => {
      const epoch = new ResumeSpends(storage.sql).resumeEpoch();
      const c = credential(epoch + 1);
      storage.sql.exec("INSERT INTO spent_resumes (nonce, expires_at) VALUES (?, ?)", c.nonce, c.expiresAt);
      const hub = new ResumeSpends(storage.sql);
      let outcome = "";
      const written = await rowsWrittenBy(storage.sql, () => (outcome = hub.spend(c, Date.now())));
      expect(outcome).toBe("used");
      expect(written).toBe(0);
      expect(hub.resumeEpoch()).toBe(epoch);
    });
  });

  it("forgets spends in storage once their credentials have expired", async () => {
    await withFreshStorage(async (storage) => {
      const hub = new ResumeSpends(storage.sql);
      expect(hub.spend(credential(hub.resumeEpoch()), Date.now())).toBe("spent");
      const at = Date.now();
      const own = credential(hub.resumeEpoch(), at);
      expect(hub.spend(own, at)).toBe("spent");
      const rows = () => storage.sql.exec("SELECT nonce FROM spent_resumes").toArray();
      hub.sweep(own.expiresAt - 1);
      expect(rows()).toEqual([{ nonce: own.nonce }]);
      hub.sweep(own.expiresAt);
      expect(rows()).toEqual([]);
    });
  });

  it("forgets memory spends once they have expired", async () => {
    await withFreshStorage(async (storage) => {
      const epoch = new ResumeSpends(storage.sql).resumeEpoch();
      const hub = new ResumeSpends(storage.sql);
      const at = Date.now();
      const c = credential(epoch, at);
      expect(hub.spend(c, at)).toBe("spent");
      hub.sweep(at + RESUME_TTL_MS - 1);
      expect(hub.spend(c, at)).toBe("used");
      hub.sweep(c.expiresAt);
      // Only an expired credential is forgotten, and the Worker refuses those before a hub sees them.
      expect(hub.spend(c, at)).toBe("spent");
    });
  });
});
