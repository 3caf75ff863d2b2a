import { log } from "../lib/log";
import type { AlarmSchedule } from "./alarm-schedule";

/** Presence reports are leases, renewed this often while sockets are open (the broadcaster drops one after PRESENCE_TTL_MS). */
export const PRESENCE_RENEW_MS = 10 * 60_000;

/**
 * How long a changed count waits before it is reported, so that a burst of connects and closes (a
 * restart's reconnect storm, a player's five tabs coming back) costs the broadcaster one report of
 * the latest count instead of one per socket. The online figure is a number people glance at: a
 * quarter of a second late is not seen.
 */
export const PRESENCE_SETTLE_MS = 250;

/**
 * An object's absolute socket count at the broadcaster, so /health and the online count never wake
 * the object. While sockets stay open a lease alarm is kept set, and the object's alarm() reports
 * again: a count from an object that died without saying so expires at the broadcaster. A failed
 * report is logged and never fails the socket event that caused it. The alarm is deleted with the
 * last socket; hubs and lobby shards share it with their audit (./audit.ts), which keeps it closer
 * while sockets are open and renews the lease from alarm() every PRESENCE_RENEW_MS.
 */
export class Presence {
  private changed = false;
  private running: Promise<void> | null = null;

  /**
   * @param alarm the object's alarm, shared with its audit
   * @param count the object's open sockets now; called once per report, never per socket event (a
   *   lobby shard's count walks all of its sockets)
   * @param send delivers one count to the broadcaster; null when the object cannot say who it is
   *   (then nothing is reported)
   */
  constructor(
    private readonly alarm: AlarmSchedule,
    private readonly count: () => number,
    private readonly send: (sockets: number) => Promise<void> | null,
    private readonly scope: () => Record<string, unknown>,
  ) {}

  /**
   * The count changed (a socket opened or ended): it is reported once it has been still for
   * PRESENCE_SETTLE_MS; every call meanwhile only says it changed again. Resolves when the count at
   * the broadcaster is the object's.
   */
  report(): Promise<void> {
    this.changed = true;
    return (this.running ??= this.run());
  }

  private async run(): Promise<void> {
    try {
      while (this.changed) {
        await scheduler.wait(PRESENCE_SETTLE_MS);
        this.changed = false;
        await this.deliver(this.count());
      }
      // Checked and cleared (finally) with no await between: a report() after this starts a new run.
    } finally {
      this.running = null;
    }
  }

  private async deliver(sockets: number): Promise<void> {
    try {
      await this.send(sockets);
    } catch (err) {
      log("warn", "presence_report_failed", { ...this.scope(), error: String(err) });
    }
    // A socket that connected meanwhile has asked for its audit: the lease is only let go when the
    // count is still zero and nothing changed, or that audit's alarm would be silently deleted.
    if (sockets > 0 || this.changed) await this.alarm.ask(Date.now() + PRESENCE_RENEW_MS);
    else await this.alarm.clear();
  }
}
