import type { ResumeClaim } from "./resume";
import type { StorageMigration } from "./storage-migrations";

/**
 * Single use of resume credentials (./resume.ts) at their hub, without a storage write per reconnect.
 *
 * A write is a commit, and locally a commit is an fsync on the runtime's one thread: in a restart's
 * storm a write per resumed socket was the costliest thing the hub did (BENCHMARKS.md, "Restart
 * with 1,000 players"). So a credential carries the hub's *resume epoch* at its minting, a counter
 * in the hub's storage that an instance of the hub moves on, durably, when it accepts its first
 * credential. Then, in an instance at epoch `e`:
 *
 * - a credential of epoch `e - 1` (minted by the instances before, since the last move: what a
 *   restart's storm brings) is spent in this instance's memory. No later instance can take it again,
 *   for each later one moves the epoch on again first and takes nothing older than its own `e - 1`;
 * - a credential of epoch `e` (minted by this instance since its move: a client dropping twice while
 *   the hub stays awake) is spent in storage, as every credential was before, so the next instance,
 *   for which it is `e - 1`, finds it spent;
 * - anything older is refused, and the client fetches a ticket. So that only a client that was away
 *   through a move holds one, the instance that moves hands its other open sockets fresh credentials
 *   (user-hub.ts), as every welcome and every audit does.
 *
 * A storm of one user's N reconnects is one write, not N (a user with one socket pays one write per
 * reconnect, as before). The move commits before the first socket it admits is answered (the output
 * gate holds every answer until the writes before it are stored), so an instance that dies before
 * its move is stored has admitted nobody, and the next one takes the same epoch again.
 *
 * This holds while every hub runs this code: a hub of the code before (a split between two versions
 * of a gradual deployment) would take a credential spent here in memory a second time. A plain
 * deploy or rollback is safe either way, as the code before refuses credentials that carry an epoch.
 */
export const RESUME_EPOCH_MIGRATION: StorageMigration = {
  name: "resume epoch",
  up(sql) {
    sql.exec("CREATE TABLE IF NOT EXISTS resume_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL)");
  },
};

/** What spending a credential came to: `spent` lets its socket in. */
export type SpendOutcome = "spent" | "used" | "stale";

/** A claim as the hub's spend needs it (./resume.ts ResumeClaim). */
type Spendable = Pick<ResumeClaim, "nonce" | "expiresAt" | "epoch">;

/** Memory spends kept before the expired ones are swept out (a hub has a few sockets; this is a bound, not a target). */
const SWEEP_AT = 1_000;

export class ResumeSpends {
  /** This instance's epoch once it has moved it (its first accepted credential); null before. */
  private moved: number | null = null;
  /** The stored epoch as this instance read it (only this instance writes it while it lives). */
  private found: number | null = null;
  /** Nonces of credentials of the epoch before this instance's, spent here: nonce → expiry. */
  private readonly spentHere = new Map<string, number>();

  /** `sql` must have run RESUME_EPOCH_MIGRATION and hold the `spent_resumes` table (the hub's). */
  constructor(private readonly sql: SqlStorage) {}

  /** The resume epoch a credential minted now carries. */
  resumeEpoch(): number {
    return this.moved ?? this.stored();
  }

  /**
   * Spends `claim` if it is still unspent (see above); only `spent` may open a socket. A refused
   * credential moves and writes nothing.
   */
  spend(claim: Spendable, at: number): SpendOutcome {
    // The epoch this instance holds, or the one its first spend moves it to.
    const epoch = this.moved ?? this.stored() + 1;
    if (claim.epoch !== epoch && claim.epoch !== epoch - 1) return "stale";
    // Spent in memory here, or in storage (by the instance that minted it, in its own epoch then).
    if (this.spentHere.has(claim.nonce) || this.sql.exec("SELECT 1 FROM spent_resumes WHERE nonce = ?", claim.nonce).toArray().length > 0) return "used";
    this.move(epoch);
    if (claim.epoch === epoch) {
      this.sql.exec("INSERT INTO spent_resumes (nonce, expires_at) VALUES (?, ?)", claim.nonce, claim.expiresAt);
    } else {
      if (this.spentHere.size >= SWEEP_AT) this.forgetExpired(at);
      this.spentHere.set(claim.nonce, claim.expiresAt);
    }
    return "spent";
  }

  /** Forgets the spends, in storage and in memory, of credentials that have expired anyway (the hub's audit calls it). */
  sweep(at: number): void {
    this.sql.exec("DELETE FROM spent_resumes WHERE expires_at <= ?", at);
    this.forgetExpired(at);
  }

  private forgetExpired(at: number): void {
    for (const [nonce, expiresAt] of this.spentHere) if (expiresAt <= at) this.spentHere.delete(nonce);
  }

  /** Moves the stored epoch on to `epoch`, once per instance: its first accepted credential. */
  private move(epoch: number): void {
    if (this.moved !== null) return;
    this.sql.exec("INSERT INTO resume_epoch (id, epoch) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch", epoch);
    this.moved = epoch;
  }

  private stored(): number {
    this.found ??= this.sql.exec<{ epoch: number }>("SELECT epoch FROM resume_epoch WHERE id = 1").toArray()[0]?.epoch ?? 0;
    return this.found;
  }
}
