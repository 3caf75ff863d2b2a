import { effect, signal, type Signal } from "@preact/signals";

/**
 * This browser's preferences, kept in localStorage (per browser, not per account: a shared
 * computer's sound is the room's business). Each is a signal; a change is saved at once.
 */

const PREFIX = "cyberhub:";

function stored<T>(name: string, fallback: T, valid: (value: unknown) => value is T): Signal<T> {
  let initial = fallback;
  try {
    const raw = localStorage.getItem(PREFIX + name);
    if (raw !== null) {
      const parsed: unknown = JSON.parse(raw);
      if (valid(parsed)) initial = parsed;
    }
  } catch {
    // Storage refused (private mode) or a value from an older build: the default.
  }
  const value = signal(initial);
  effect(() => {
    try {
      localStorage.setItem(PREFIX + name, JSON.stringify(value.value));
    } catch {
      // Not saved; the choice still holds for this page.
    }
  });
  return value;
}

const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
const isCents = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Reel ticks and a win sound, made with WebAudio. Off until the player turns it on. */
export const soundOn = stored("sound", false, isBoolean);

/** The reel stops after FAST_OPEN_MS instead of the full reveal (the drops feed still waits for it). */
export const fastOpen = stored("fast-open", false, isBoolean);

/** "Sell all" asks first when it would sell more than this many cents (10.00 by default). */
export const sellAllConfirmAbove = stored("sell-all-confirm-above", 1000, isCents);

/** How long a fast open's reel spins. */
export const FAST_OPEN_MS = 600;
