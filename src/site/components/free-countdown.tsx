import { useEffect, useState } from "preact/hooks";
import { api } from "../api";

/**
 * When this player may open a free case next, on this browser's clock (the server's answer is
 * shifted by the difference between the two clocks). `undefined` while unknown, null: now.
 */
export function useFreeOpen(caseId: string | null, signedIn: boolean) {
  const [nextAt, setNextAt] = useState<number | null | undefined>(undefined);
  const refresh = async () => {
    if (!caseId || !signedIn) return setNextAt(undefined);
    try {
      const list = await api.freeCases();
      const skew = Date.now() - list.serverTime;
      const next = list.cases.find((c) => c.caseId === caseId)?.nextOpenAt ?? null;
      setNextAt(next === null ? null : next + skew);
    } catch {
      setNextAt(undefined);
    }
  };
  useEffect(() => void refresh(), [caseId, signedIn]);
  /** After a 429: the server said how long. */
  const waitFor = (seconds: number) => setNextAt(Date.now() + seconds * 1000);
  return { nextAt, refresh, waitFor };
}

/** Re-renders every second; returns the time. */
function useClock(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

const two = (n: number) => String(n).padStart(2, "0");

/** "23:59:58": what is left until `at`. */
export function formatWait(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${two(Math.floor(total / 3600))}:${two(Math.floor((total % 3600) / 60))}:${two(total % 60)}`;
}

/** The countdown to the next free open; calls `onDue` once it reaches zero. */
export function FreeCountdown({ at, onDue }: { at: number; onDue: () => void }) {
  const now = useClock();
  const left = at - now;
  useEffect(() => {
    if (left <= 0) onDue();
  }, [left <= 0]);
  if (left <= 0) return null;
  return (
    <p class="free-countdown" data-testid="free-countdown" role="timer" aria-live="off">
      Next free open in <strong class="mono">{formatWait(left)}</strong>
    </p>
  );
}
