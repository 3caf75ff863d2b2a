import { signal } from "@preact/signals";
import { createRealtime, type ConnectionState, type Realtime, type SocketStates } from "../client/index";
import {
  applyBalance,
  applyInventoryChange,
  catalog,
  pushDrop,
  refreshCatalog,
  refreshInventory,
  refreshMe,
} from "./state";

/** What the TopBar's indicator shows: the SDK's state plus a sentence per socket for the tooltip. */
export const connection = signal<{ state: ConnectionState | "idle"; detail: string }>({ state: "idle", detail: "Not connected yet" });

/** Listeners that pages add for public events (the case page refetches its own case). */
export const caseChanges = signal<{ caseId: string; version: number } | null>(null);

let client: Realtime | null = null;

/** The tooltip: which of the two sockets is in which state. */
function describeSockets(sockets: SocketStates): string {
  return `Account socket: ${sockets.user ?? "not used (logged out)"} · Lobby socket: ${sockets.lobby}`;
}

/**
 * Opens the realtime connection through the SDK (one client per page load; re-created on
 * login and logout because the private socket is bound to the session that opened it).
 */
export function connectRealtime(authenticated: boolean): void {
  client?.close();
  const rt = createRealtime(authenticated ? { baseUrl: location.origin, auth: { kind: "cookie" } } : { baseUrl: location.origin });
  client = rt;
  let wasOpen = false;

  const publish = () => (connection.value = { state: rt.state, detail: describeSockets(rt.sockets) });
  rt.onStateChange(() => {
    if (client !== rt) return;
    publish();
    // Read REST again each time the sockets become open, the first time included: a change
    // published after the page's first reads but before its sockets were subscribed reached no
    // socket (a first connect has nothing to resume from), and after an outage whatever the SDK
    // replays, REST is the source of truth. Three small reads per page load buy that.
    const open = rt.state === "open";
    if (open && !wasOpen) void catchUp(authenticated);
    wasOpen = open;
  });
  publish();

  rt.on("cases:updated", (data) => {
    caseChanges.value = { caseId: data.caseId, version: data.version };
    if (data.version > catalog.value.version) void refreshCatalog();
  });
  rt.on("drops:new", (data) => pushDrop(data));
  // The server could not replay what this tab missed: REST is the source of truth.
  rt.on("resync", ({ channel }) => void (channel === "lobby" ? refreshCatalog() : Promise.all([refreshMe(), refreshInventory()])));
  if (!authenticated) return;
  rt.on("balance:updated", (data) => applyBalance(data.balance, data.version));
  rt.on("inventory:updated", (data) => applyInventoryChange(data.version, data.added, data.removed));
}

async function catchUp(authenticated: boolean): Promise<void> {
  await refreshCatalog();
  if (!authenticated) return;
  await Promise.all([refreshMe(), refreshInventory()]);
}

export function disconnectRealtime(): void {
  client?.close();
  client = null;
}
