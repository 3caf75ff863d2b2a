/**
 * Finds lost publishes from a version that steps by exactly one per change (the account version
 * on the private socket, the catalogue version on the lobby). A version seen ahead of the newest
 * delivered one (in an event, or in a welcome after a reconnect) marks the versions in between as
 * missing. Publishes of concurrent changes can arrive out of order, and a change that committed
 * just before a socket was authenticated may still be on its way, so a missing version is only
 * reported when it has not arrived within `graceMs`: then `onGap` fires once, and the app refetches.
 */
export class VersionGaps {
  private newest: number | null = null;
  private readonly missing = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** More missing versions than this is a gap at once: waiting for each would not end better. */
  static readonly MAX_PENDING = 100;

  constructor(
    private readonly graceMs: number,
    private readonly onGap: () => void,
  ) {}

  /** A version an event carried. */
  delivered(version: number): void {
    this.missing.delete(version);
    this.advance(version, version - 1);
    this.settle();
  }

  /** The version a welcome says the stream has reached; the first one only sets where we start. */
  reached(version: number): void {
    if (this.newest === null) this.newest = version;
    else this.advance(version, version);
    this.settle();
  }

  /** Everything is being refetched (a server resync): start again from the next welcome. */
  reset(): void {
    this.newest = null;
    this.missing.clear();
    this.stopTimer();
  }

  stop(): void {
    this.stopTimer();
  }

  /** Marks newest+1 … upTo missing, then takes `version` as the newest known. */
  private advance(version: number, upTo: number): void {
    const from = this.newest;
    this.newest = Math.max(from ?? version, version);
    if (from === null || upTo <= from) return;
    if (upTo - from > VersionGaps.MAX_PENDING) return this.gap();
    for (let v = from + 1; v <= upTo; v++) this.missing.add(v);
  }

  private settle(): void {
    if (this.missing.size === 0) return this.stopTimer();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.missing.size > 0) this.gap();
    }, this.graceMs);
  }

  private gap(): void {
    this.missing.clear();
    this.stopTimer();
    this.onGap();
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
