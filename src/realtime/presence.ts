import { log } from "../lib/log";

/** Presence reports are leases, renewed this often while sockets are open (the broadcaster drops one after PRESENCE_TTL_MS). */
export const PRESENCE_RENEW_MS = 10 * 60_000;

/**
 * Tells the broadcaster an object's absolute socket count (`send`), so /health and the online count
 * never wake the object. While sockets stay open a lease alarm is kept set, and the object's alarm()
 * reports again: a count from an object that died without saying so expires at the broadcaster.
 * A failed report is logged and never fails the socket event that caused it. The alarm is deleted
 * with the last socket; hubs and lobby shards share it with their audit (./audit.ts), which keeps
 * it closer while sockets are open and renews the lease from alarm() every PRESENCE_RENEW_MS.
 */
export async function reportPresence(
  storage: DurableObjectStorage,
  sockets: number,
  send: () => Promise<void>,
  scope: Record<string, unknown>,
): Promise<void> {
  try {
    await send();
  } catch (err) {
    log("warn", "presence_report_failed", { ...scope, error: String(err) });
  }
  if (sockets > 0) {
    if ((await storage.getAlarm()) === null) await storage.setAlarm(Date.now() + PRESENCE_RENEW_MS);
  } else {
    await storage.deleteAlarm();
  }
}
