import { connectRealtime, disconnectRealtime } from "./live";
import { refreshCatalog, refreshInventory, refreshMe, signedOut } from "./state";

/** First load: who am I, the catalogue, and the realtime connection that fits. */
export async function boot(): Promise<void> {
  const [user] = await Promise.all([refreshMe(), refreshCatalog()]);
  if (user) await refreshInventory();
  connectRealtime(user !== null);
}

/** After login or registration the private socket must open under the new session. */
export async function onSignedIn(): Promise<void> {
  const user = await refreshMe();
  // Swap the anonymous connection out in the same turn the account appears, so the indicator
  // never shows the old lobby-only client as if the account socket were open.
  connectRealtime(user !== null);
  await refreshInventory();
}

export function onSignedOut(): void {
  disconnectRealtime();
  signedOut();
  connectRealtime(false);
}
