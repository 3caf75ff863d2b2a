import { useEffect, useRef, useState } from "preact/hooks";
import { toastError } from "./state";

/**
 * One user action at a time: `busy` while it runs, and `busyKey` says which (a row's id, when a
 * list has buttons per row; `true` otherwise). A failure goes to `onError`: a toast, unless the
 * form shows it next to a field.
 */
export function useAction<K extends string | true = true>() {
  const [busyKey, setBusy] = useState<K | null>(null);
  const run = async (key: K, job: () => Promise<void>, onError: (err: unknown) => void = toastError): Promise<void> => {
    setBusy(key);
    try {
      await job();
    } catch (err) {
      onError(err);
    } finally {
      setBusy(null);
    }
  };
  return { busy: busyKey !== null, busyKey, run };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A newest-first list read page by page with "Load more". It reloads from the first page whenever
 * `deps` change (after `delayMs`, for a search box); a response that arrives after a newer reload
 * started is dropped, so a slow page never replaces a fresher list.
 */
export function usePages<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>, deps: unknown[], delayMs = 0) {
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);

  const load = async (from: string | null) => {
    const mine = from === null ? ++generation.current : generation.current;
    setLoading(true);
    try {
      const page = await fetchPage(from);
      if (mine !== generation.current) return;
      setItems((prev) => (from && prev ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      toastError(err);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  };

  useEffect(() => {
    if (delayMs === 0) {
      void load(null);
      return undefined;
    }
    const timer = setTimeout(() => void load(null), delayMs);
    return () => clearTimeout(timer);
  }, deps);

  return { items, setItems, loading, loadMore: cursor ? () => load(cursor) : null };
}
