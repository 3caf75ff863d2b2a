import type { AlarmSchedule } from "./alarm-schedule";

/**
 * Audits: how a change that D1 holds reaches a screen whose event was lost (the Worker died, or its
 * publish failed, between the commit and the publish). While an object holds sockets it reads the
 * truth from D1 every AUDIT_MS (a hub: its user's account version and whether each socket's session
 * is still live; a lobby shard: the catalogue version) and tells its sockets; the SDK compares that
 * with what it has applied, and a version it never got is a `resync` after its grace. So a lost
 * change is on every connected screen within AUDIT_MS + the SDK's gapGraceMs, without a row written
 * per change (README, "Delivery after a crash").
 */

/** How often an object with sockets reads the truth from D1. */
export const AUDIT_MS = 30_000;

/**
 * After a connect that read nothing from D1 (a resumed private socket, any lobby socket), the audit
 * comes CONNECT_AUDIT_AFTER_MS later, at a random point of the next CONNECT_AUDIT_SPREAD_MS. A
 * restart's reconnect storm is the runtime's busiest moment: its clients are let back in first and
 * its reads follow, spread over seconds, instead of one read inside or right behind every handshake
 * (BENCHMARKS.md, "Restart with 1,000 players"). The price is the bound on a change lost in a crash:
 * it reaches a reconnected screen within CONNECT_AUDIT_BOUND_MS + the SDK's gapGraceMs.
 */
export const CONNECT_AUDIT_AFTER_MS = 4_000;
export const CONNECT_AUDIT_SPREAD_MS = 8_000;
export const CONNECT_AUDIT_BOUND_MS = CONNECT_AUDIT_AFTER_MS + CONNECT_AUDIT_SPREAD_MS;

/**
 * Asks for the audit after a connect at `at`: at a random point of its window, unless an alarm is
 * due within the window already (then the connects of one storm share one audit).
 */
export function askConnectAudit(alarms: AlarmSchedule, at: number): Promise<void> {
  return alarms.ask(at + CONNECT_AUDIT_AFTER_MS + Math.random() * CONNECT_AUDIT_SPREAD_MS, at + CONNECT_AUDIT_BOUND_MS);
}
