/**
 * An object's one alarm, asked for by several of its parts, the earliest winning: in a socket room
 * its audit (./audit.ts) and its presence lease (./presence.ts), since any alarm audits and renews;
 * in the broadcaster, the next lobby frame. The first ask of a burst reads and sets the alarm; the
 * rest wait for it and find in memory that one is due soon enough. So a restart's N connects on one
 * lobby shard cost one storage round trip, not N, each of which would also hold the object's input
 * gate and queue the next connect behind it. Memory only: after a wake the first ask reads storage
 * again.
 */
export class AlarmSchedule {
  /** The alarm this instance set or found, while it has neither rung nor been cleared since. */
  private due: number | null = null;
  /** The ask reading or setting storage now: the asks that come meanwhile wait for it, then look again. */
  private pending: Promise<void> | null = null;
  /** Bumped when the alarm rings or is cleared: what an ask from before learns is no longer true. */
  private generation = 0;

  constructor(private readonly storage: DurableObjectStorage) {}

  /**
   * The alarm at `wanted` or earlier, unless one is due by `latest` already: a connect whose audit
   * may come anywhere in a window takes the one its burst asked for. An earlier alarm is kept.
   */
  async ask(wanted: number, latest = wanted): Promise<void> {
    // An ask in flight may settle this one; if it failed, this one goes to storage itself.
    while (this.pending) await this.pending.catch(() => undefined);
    if (this.dueBy(latest)) return;
    const pending = this.store(wanted);
    this.pending = pending;
    try {
      await pending;
    } finally {
      if (this.pending === pending) this.pending = null;
    }
  }

  /** Whether an alarm is known to be due at or before `at` (then an ask by `at` would change nothing). */
  dueBy(at: number): boolean {
    return this.due !== null && this.due <= at;
  }

  /** No alarm (the room's last socket is gone). */
  async clear(): Promise<void> {
    this.forget();
    await this.storage.deleteAlarm();
  }

  /** The alarm rang, and the runtime cleared it: call first thing in alarm(). */
  rang(): void {
    this.forget();
  }

  private async store(wanted: number): Promise<void> {
    const generation = this.generation;
    const current = await this.storage.getAlarm();
    const due = current !== null && current <= wanted ? current : wanted;
    if (due === wanted) await this.storage.setAlarm(wanted);
    if (generation === this.generation) this.due = due;
  }

  private forget(): void {
    this.due = null;
    this.generation++;
  }
}
