import type { RevisionItem } from "../../db/schema";

/**
 * What an isolate remembers between opens, so that a warm open is one D1 round trip.
 * Nothing here is trusted: every fact is re-checked by SQL inside the write batch
 * (see ./award.ts), and a stale entry only costs the cold path once.
 */
export interface WarmSession {
  userId: string;
  displayName: string;
  seed: { id: string; seed: string; seedHash: string; clientSeed: string };
  nextNonce: number;
}

export interface WarmCase {
  id: string;
  version: number;
  price: number;
  /** Set for a free case: checked with the version, which every change of the case bumps. */
  freeCooldownSeconds: number | null;
  items: RevisionItem[];
}

/** Insertion-ordered maps as small LRUs: a hit moves the key to the back, overflow drops the front. */
class Lru<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/** Keyed by session id (not user id): a revoked session must not keep a warm session. */
export const warmSessions = new Lru<WarmSession>(10_000);
/** Keyed by the id or slug the client used. */
export const warmCases = new Lru<WarmCase>(1_000);
