import { batch, signal } from "@preact/signals";
import { api, describeError } from "./api";
import { currency } from "./money";
import type { CaseSummary, Drop, InventoryItem, PublicUser } from "./types";

// The site's state is a handful of signals. A component that reads `.value` while it renders is
// subscribed during that render, so a change that lands before its first effect runs (the session
// answered before the first frame) still re-renders it: a subscription made in an effect missed it.

/** Who is logged in. `ready` turns true once /api/auth/me has answered. */
export const session = signal<{ ready: boolean; user: PublicUser | null }>({ ready: false, user: null });

/** Balance with the account version it was read at: older events and responses are ignored. */
export const account = signal<{ balance: number; version: number }>({ balance: 0, version: -1 });

export const catalog = signal<{ version: number; cases: CaseSummary[]; loaded: boolean }>({ version: -1, cases: [], loaded: false });

/** Owned (unsettled) items, newest first, at an account version. */
export const inventory = signal<{ version: number; items: InventoryItem[]; loaded: boolean }>({ version: -1, items: [], loaded: false });

export const drops = signal<(Drop & { key: string })[]>([]);

export interface Toast {
  id: number;
  kind: "error" | "info" | "success";
  text: string;
}
export const toasts = signal<Toast[]>([]);
let toastId = 0;

export function toast(text: string, kind: Toast["kind"] = "info"): void {
  const id = ++toastId;
  toasts.value = [...toasts.value.slice(-3), { id, kind, text }];
  setTimeout(() => (toasts.value = toasts.value.filter((t) => t.id !== id)), kind === "error" ? 8000 : 4000);
}

export function toastError(err: unknown): void {
  toast(describeError(err), "error");
}

/** Applies a balance only when it is newer than the one shown (events and responses race). */
export function applyBalance(balance: number, version: number): void {
  if (version <= account.value.version) return;
  account.value = { balance, version };
}

export function applyInventoryChange(version: number, added: readonly InventoryItem[] = [], removed: readonly string[] = []): void {
  const current = inventory.value;
  if (!current.loaded || version <= current.version) return;
  const gone = new Set(removed);
  const known = new Set(current.items.map((i) => i.id));
  const fresh = added.filter((i) => i.status === "owned" && !known.has(i.id) && !gone.has(i.id));
  const items = [...fresh, ...current.items.filter((i) => !gone.has(i.id))].sort((a, b) => b.createdAt - a.createdAt);
  inventory.value = { version, items, loaded: true };
}

export async function refreshMe(): Promise<PublicUser | null> {
  try {
    const { user } = await api.me();
    // One batch: no component renders the new user with the old balance.
    batch(() => {
      session.value = { ready: true, user };
      // A fresh read is authoritative even at the same version (e.g. after a resync).
      if (user.version >= account.value.version) account.value = { balance: user.balance, version: user.version };
    });
    return user;
  } catch {
    session.value = { ready: true, user: null };
    return null;
  }
}

export async function refreshCatalog(): Promise<void> {
  try {
    const list = await api.cases();
    // A read that started before a newer event arrived must not roll the page back.
    if (list.version >= catalog.value.version) {
      batch(() => {
        currency.value = list.currency;
        catalog.value = { version: list.version, cases: list.cases, loaded: true };
      });
    }
  } catch (err) {
    toastError(err);
  }
}

export async function refreshInventory(): Promise<void> {
  if (!session.value.user) return;
  try {
    const page = await api.inventory("owned");
    // A read that started before a newer event arrived must not roll the page back.
    if (page.version >= inventory.value.version) inventory.value = { version: page.version, items: page.items, loaded: true };
  } catch (err) {
    toastError(err);
  }
}

/**
 * A drop into the ticker, newest first. A socket's connect starts with the latest drops, some of
 * which this tab may have shown already (a reconnect): a drop is one drop by its id.
 */
export function pushDrop(drop: Drop): void {
  const list = drops.value;
  if (!list.some((d) => d.id === drop.id)) drops.value = [{ ...drop, key: drop.id }, ...list].sort((a, b) => b.at - a.at).slice(0, 30);
}

export function signedOut(): void {
  batch(() => {
    session.value = { ready: true, user: null };
    account.value = { balance: 0, version: -1 };
    inventory.value = { version: -1, items: [], loaded: false };
  });
}
