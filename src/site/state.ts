import { api, describeError } from "./api";
import { createStore } from "./store";
import type { CaseSummary, Drop, InventoryItem, PublicUser } from "./types";

/** Who is logged in. `ready` turns true once /api/auth/me has answered. */
export const session = createStore<{ ready: boolean; user: PublicUser | null }>({ ready: false, user: null });

/** Balance with the account version it was read at: older events and responses are ignored. */
export const account = createStore<{ balance: number; version: number }>({ balance: 0, version: -1 });

export const catalog = createStore<{ version: number; cases: CaseSummary[]; loaded: boolean }>({ version: -1, cases: [], loaded: false });

/** Owned (unsettled) items, newest first, at an account version. */
export const inventory = createStore<{ version: number; items: InventoryItem[]; loaded: boolean }>({ version: -1, items: [], loaded: false });

export const drops = createStore<(Drop & { key: string })[]>([]);

export interface Toast {
  id: number;
  kind: "error" | "info" | "success";
  text: string;
}
export const toasts = createStore<Toast[]>([]);
let toastId = 0;

export function toast(text: string, kind: Toast["kind"] = "info"): void {
  const id = ++toastId;
  toasts.update((list) => [...list.slice(-3), { id, kind, text }]);
  setTimeout(() => toasts.update((list) => list.filter((t) => t.id !== id)), kind === "error" ? 8000 : 4000);
}

export function toastError(err: unknown): void {
  toast(describeError(err), "error");
}

/** Applies a balance only when it is newer than the one shown (events and responses race). */
export function applyBalance(balance: number, version: number): void {
  if (version <= account.get().version) return;
  account.set({ balance, version });
}

export function applyInventoryChange(version: number, added: readonly InventoryItem[] = [], removed: readonly string[] = []): void {
  const current = inventory.get();
  if (!current.loaded || version <= current.version) return;
  const gone = new Set(removed);
  const known = new Set(current.items.map((i) => i.id));
  const fresh = added.filter((i) => i.status === "owned" && !known.has(i.id) && !gone.has(i.id));
  const items = [...fresh, ...current.items.filter((i) => !gone.has(i.id))].sort((a, b) => b.createdAt - a.createdAt);
  inventory.set({ version, items, loaded: true });
}

export async function refreshMe(): Promise<PublicUser | null> {
  try {
    const { user } = await api.me();
    session.set({ ready: true, user });
    // A fresh read is authoritative even at the same version (e.g. after a resync).
    if (user.version >= account.get().version) account.set({ balance: user.balance, version: user.version });
    return user;
  } catch {
    session.set({ ready: true, user: null });
    return null;
  }
}

export async function refreshCatalog(): Promise<void> {
  try {
    const list = await api.cases();
    // A read that started before a newer event arrived must not roll the page back.
    if (list.version >= catalog.get().version) catalog.set({ version: list.version, cases: list.cases, loaded: true });
  } catch (err) {
    toastError(err);
  }
}

export async function refreshInventory(): Promise<void> {
  if (!session.get().user) return;
  try {
    const page = await api.inventory("owned");
    // A read that started before a newer event arrived must not roll the page back.
    if (page.version >= inventory.get().version) inventory.set({ version: page.version, items: page.items, loaded: true });
  } catch (err) {
    toastError(err);
  }
}

/**
 * A drop into the ticker, newest first. A socket's connect starts with the latest drops, some of
 * which this tab may have shown already (a reconnect): a drop is one drop by its id.
 */
export function pushDrop(drop: Drop): void {
  drops.update((list) => (list.some((d) => d.id === drop.id) ? list : [{ ...drop, key: drop.id }, ...list].sort((a, b) => b.at - a.at).slice(0, 30)));
}

export function signedOut(): void {
  session.set({ ready: true, user: null });
  account.set({ balance: 0, version: -1 });
  inventory.set({ version: -1, items: [], loaded: false });
}
