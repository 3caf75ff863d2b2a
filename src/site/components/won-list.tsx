import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { formatCents } from "../money";
import { applyBalance, applyInventoryChange, toast, toastError } from "../state";
import type { WonItem } from "../types";
import { ItemCard } from "./item-card";

/**
 * The result's heading takes the focus when it appears: the opening button it came from is disabled
 * while the reel spins, and a keyboard or screen-reader user lands on what they won (and its buttons).
 */
function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    const heading = ref.current;
    if (!heading) return;
    heading.focus({ preventScroll: true });
    // The whole result into view (its items and buttons too), not just the heading's line: after
    // five reels it starts near the bottom of the screen.
    (heading.closest(".open-result") ?? heading).scrollIntoView({ block: "nearest" });
  }, []);
  return ref;
}

/** What an opening won, each item with its claim or sell button. */
export function WonList({ won }: { won: readonly WonItem[] }) {
  const [settled, setSettled] = useState<Record<string, string>>({});
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const settle = async (item: WonItem) => {
    try {
      const res = item.kind === "money" ? await api.claim({ itemId: item.id }) : await api.sell({ itemId: item.id });
      applyBalance(res.balance, res.version);
      applyInventoryChange(res.version, [], res.itemIds);
      setSettled((s) => ({ ...s, [item.id]: item.kind === "money" ? "Claimed" : "Sold" }));
      toast(`${item.kind === "money" ? "Claimed" : "Sold"} ${item.name} for ${formatCents(res.credited)}`, "success");
    } catch (err) {
      toastError(err);
    }
  };
  const total = won.reduce((sum, w) => sum + w.value, 0);
  return (
    <div class="open-result" data-testid="open-result" role="status">
      <h2 ref={heading} tabIndex={-1}>
        You won {won.length === 1 ? "" : `${won.length} items worth `}
        {formatCents(total)}
      </h2>
      <ul class="won-list">
        {won.map((w) => (
          <li key={w.id} data-won-item-id={w.itemId}>
            <ItemCard {...w} />
            {settled[w.id] ? (
              <span class="badge">{settled[w.id]}</span>
            ) : (
              <button type="button" class="btn btn-small btn-primary" onClick={() => settle(w)}>
                {w.kind === "money" ? "Claim" : "Sell"} {formatCents(w.value)}
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A demo spin's landing: what it would have been, with nothing to claim. */
export function DemoResult({ won }: { won: WonItem }) {
  const heading = useFocusOnMount<HTMLHeadingElement>();
  return (
    <div class="open-result demo-result" data-testid="demo-result" role="status">
      <h2 ref={heading} tabIndex={-1}>
        <span class="badge badge-demo">Demo</span> This spin would have won {won.name} ({formatCents(won.value)})
      </h2>
      <p class="muted">A demo spin is free and changes nothing: no charge, no item, no record, not in the drops feed.</p>
    </div>
  );
}
