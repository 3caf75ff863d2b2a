import { log } from "../lib/log";

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
  private latest = 0;
  private running: Promise<void> | null = null;

  /**
   * @param send delivers one count to the broadcaster; null when the object cannot say who it is
   *   (then nothing is reported)
   */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly send: (sockets: number) => Promise<void> | null,
    private readonly scope: () => Record<string, unknown>,
  ) {}

  /**
   * Reports `sockets` once the count has been still for PRESENCE_SETTLE_MS; every call meanwhile
   * only moves the count. Resolves when the latest count is at the broadcaster.
   */
  report(sockets: number): Promise<void> {
    this.latest = sockets;
    return (this.running ??= this.run());
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        await scheduler.wait(PRESENCE_SETTLE_MS);
        const count = this.latest;
        await this.deliver(count);
        // Checked and cleared (finally) with no await between: a report() after this starts a new run.
        if (count === this.latest) return;
      }
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
    // The lease follows the count now, not the one just sent: a socket may have connected meanwhile
    // and asked for its audit, which an alarm deleted for a stale zero would silently cancel.
    if (this.latest > 0) {
      if ((await this.storage.getAlarm()) === null) await this.storage.setAlarm(Date.now() + PRESENCE_RENEW_MS);
    } else {
      await this.storage.deleteAlarm();
    }
  }
}
