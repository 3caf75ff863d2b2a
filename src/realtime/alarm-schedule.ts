/**
 * An object's one alarm, asked for by several of its parts, the earliest winning: in a socket room
 * its audit (./audit.ts) and its presence lease (./presence.ts), since any alarm audits and renews;
 * in the broadcaster, the next lobby frame. The first ask of a burst reads and sets the alarm; the
 * rest find in memory that one is due soon enough. So a restart's N connects on one lobby shard cost
 * one storage round trip, not N, each of which would also hold the object's input gate and queue the
 * next connect behind it. Memory only: after a wake the first ask reads storage again.
 */
export class AlarmSchedule {
  /** The alarm this instance asked for or found, while it has neither rung nor been cleared since. */
  private due: number | null = null;

  constructor(private readonly storage: DurableObjectStorage) {}

  /**
   * The alarm at `wanted` or earlier, unless one is due by `latest` already: a connect whose audit
   * may come anywhere in a window takes the one its burst asked for. An earlier alarm is kept.
   */
  async ask(wanted: number, latest = wanted): Promise<void> {
    if (this.dueBy(latest)) return;
    // Claimed before the read: the asks of the same burst that come meanwhile find it and return.
    this.due = wanted;
    try {
      const current = await this.storage.getAlarm();
      if (current !== null && current <= wanted) {
        if (this.due === wanted) this.due = current;
        return;
      }
      await this.storage.setAlarm(wanted);
    } catch (err) {
      if (this.due === wanted) this.due = null;
      throw err;
    }
  }

  /** Whether an alarm is known to be due at or before `at` (then an ask by `at` would change nothing). */
  dueBy(at: number): boolean {
    return this.due !== null && this.due <= at;
  }

  /** No alarm (the room's last socket is gone). */
  async clear(): Promise<void> {
    this.due = null;
    await this.storage.deleteAlarm();
  }

  /** The alarm rang, and the runtime cleared it: call first thing in alarm(). */
  rang(): void {
    this.due = null;
  }
}
