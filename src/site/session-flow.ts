import { connectRealtime, disconnectRealtime } from "./live";
import { refreshCatalog, refreshInventory, refreshMe, signedOut } from "./state";

/**
 * Bumped by every sign-in and sign-out. A flow that awaited the server connects only if no other
 * flow ran meanwhile: a player who logs out while the first load is still reading the inventory must
 * not get the first load's signed-in connection after the signed-out one.
 */
let generation = 0;

/** First load: who am I, the catalogue, and the realtime connection that fits. */
export async function boot(): Promise<void> {
  const started = generation;
  const [user] = await Promise.all([refreshMe(), refreshCatalog()]);
  if (user) await refreshInventory();
  if (generation === started) connectRealtime(user !== null);
}

/** After login or registration the private socket must open under the new session. */
export async function onSignedIn(): Promise<void> {
  const started = ++generation;
  const user = await refreshMe();
  if (generation !== started) return;
  // Swap the anonymous connection out in the same turn the account appears, so the indicator
  // never shows the old lobby-only client as if the account socket were open.
  connectRealtime(user !== null);
  await refreshInventory();
}

export function onSignedOut(): void {
  generation++;
  disconnectRealtime();
  signedOut();
  connectRealtime(false);
}
