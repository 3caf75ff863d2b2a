import { signal } from "@preact/signals";
import { createRealtime, type ConnectionState, type Handler, type Realtime, type RealtimeEventName, type SocketStates } from "../client/index";
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

/** Bumped each time every socket is open again (the first time included): pages refetch what no socket replays. */
export const reconnects = signal(0);

let client: Realtime | null = null;

/**
 * What pages subscribed to and which battle rooms they watch. The client is re-created on login and
 * logout; these are carried over to the new one, so a page never holds a handler on a closed client.
 */
interface Subscription {
  attach(rt: Realtime): void;
  detach(rt: Realtime): void;
}
const subscriptions = new Set<Subscription>();
const watched = new Map<string, number>();

/** A page's handler for one SDK event, on whichever client is current; returns the unsubscribe. */
export function subscribe<K extends RealtimeEventName>(event: K, handler: Handler<K>): () => void {
  const entry: Subscription = { attach: (rt) => void rt.on(event, handler), detach: (rt) => rt.off(event, handler) };
  subscriptions.add(entry);
  if (client) entry.attach(client);
  return () => {
    subscriptions.delete(entry);
    if (client) entry.detach(client);
  };
}

/**
 * Opens a battle room's socket (the SDK's joinBattle) for as long as some page watches it; returns
 * the function that stops watching. The room sends `battle:state` on every connect it cannot resume.
 */
export function watchBattle(battleId: string): () => void {
  watched.set(battleId, (watched.get(battleId) ?? 0) + 1);
  client?.joinBattle(battleId);
  return () => {
    const left = (watched.get(battleId) ?? 1) - 1;
    if (left > 0) return void watched.set(battleId, left);
    watched.delete(battleId);
    client?.leaveBattle(battleId);
  };
}

/** A watched room's socket state, for the room's own indicator. */
export const battleSockets = signal<SocketStates["battles"]>({});

/** The tooltip: which socket is in which state. */
function describeSockets(sockets: SocketStates): string {
  const rooms = Object.values(sockets.battles);
  const battle = rooms.length > 0 ? ` · Battle room: ${rooms.join(", ")}` : "";
  return `Account socket: ${sockets.user ?? "not used (logged out)"} · Lobby socket: ${sockets.lobby}${battle}`;
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

  const publish = () => {
    connection.value = { state: rt.state, detail: describeSockets(rt.sockets) };
    battleSockets.value = rt.sockets.battles;
  };
  rt.onStateChange(() => {
    if (client !== rt) return;
    publish();
    // Read REST again each time the sockets become open, the first time included: a change
    // published after the page's first reads but before its sockets were subscribed reached no
    // socket (a first connect has nothing to resume from), and after an outage whatever the SDK
    // replays, REST is the source of truth. Three small reads per page load buy that.
    const open = rt.state === "open";
    if (open && !wasOpen) {
      void catchUp(authenticated);
      reconnects.value += 1;
    }
    wasOpen = open;
  });
  for (const entry of subscriptions) entry.attach(rt);
  for (const battleId of watched.keys()) rt.joinBattle(battleId);
  publish();

  rt.on("cases:updated", (data) => {
    caseChanges.value = { caseId: data.caseId, version: data.version };
    if (data.version > catalog.value.version) void refreshCatalog();
  });
  rt.on("drops:new", (data) => pushDrop(data));
  // The server could not replay what this tab missed: REST is the source of truth.
  // A battle room never needs it (it sends a fresh battle:state instead); its page refetches on its own.
  rt.on("resync", ({ channel }) => {
    if (channel === "lobby") void refreshCatalog();
    else if (channel === "user") void Promise.all([refreshMe(), refreshInventory()]);
  });
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
