import { useState } from "preact/hooks";
import { api } from "../api";
import { ItemCard } from "../components/item-card";
import { centsToInput, currencySymbol, formatCents, parseCents } from "../money";
import { sellAllConfirmAbove } from "../prefs";
import { applyBalance, applyInventoryChange, catalog, inventory, toast } from "../state";
import { useAction, usePages } from "../hooks";
import type { InventoryItem } from "../types";

const STATUS_WORDS = { owned: "In inventory", claimed: "Claimed", sold: "Sold", upgraded: "Staked in an upgrade" } as const;

async function settle(action: "claim" | "sell", target: { itemId: string } | { all: true }, what: string): Promise<void> {
  const res = action === "claim" ? await api.claim(target) : await api.sell(target);
  applyBalance(res.balance, res.version);
  applyInventoryChange(res.version, [], res.itemIds);
  if (res.itemIds.length === 0) toast(`Nothing to ${action}.`);
  else toast(`${action === "claim" ? "Claimed" : "Sold"} ${what} for ${formatCents(res.credited)}`, "success");
}

function History() {
  const { items, loading, loadMore } = usePages((cursor) => api.inventory("all", cursor), []);
  // Which case each item came from, by the catalogue's names (a hidden or deleted case has none here).
  const caseNames = new Map(catalog.value.cases.map((c) => [c.id, c.name]));
  return (
    <>
      {!loading && items?.length === 0 && <p class="muted">You have not opened any case yet.</p>}
      <ul class="item-grid">
        {items?.map((item) => (
          <li key={item.id} class={`status-${item.status}`}>
            <ItemCard {...item} />
            <span class="small muted" data-testid="item-source">
              {item.source === "upgrade" ? "Won in the upgrader" : `From ${caseNames.get(item.caseId) ?? "a case no longer listed"}`}
            </span>
            <span class="badge">{STATUS_WORDS[item.status]}</span>
          </li>
        ))}
      </ul>
      {loadMore && (
        <button type="button" class="btn" disabled={loading} onClick={loadMore}>
          Load more
        </button>
      )}
    </>
  );
}

/** The "ask before selling all" threshold, remembered by this browser (../prefs.ts). */
function SellAllThreshold() {
  const [text, setText] = useState(centsToInput(sellAllConfirmAbove.value));
  const cents = parseCents(text);
  const invalid = cents === null || cents < 0;
  return (
    <div class="sell-threshold">
      <label for="sell-all-threshold">Ask before selling all skins worth more than ({currencySymbol()})</label>
      <input
        id="sell-all-threshold"
        data-testid="sell-all-threshold"
        inputMode="decimal"
        value={text}
        aria-invalid={invalid}
        onInput={(e) => {
          const next = e.currentTarget.value;
          setText(next);
          const value = parseCents(next);
          if (value !== null && value >= 0) sellAllConfirmAbove.value = value;
        }}
      />
    </div>
  );
}

export function InventoryPage() {
  const { items, loaded } = inventory.value;
  const [tab, setTab] = useState<"owned" | "history">("owned");
  const { busy, run } = useAction();
  const money = items.filter((i) => i.kind === "money");
  const skins = items.filter((i) => i.kind === "skin");
  const sum = (list: InventoryItem[]) => list.reduce((total, i) => total + i.value, 0);
  // Selling is final: above this browser's threshold the player confirms the count and the sum.
  const sellAll = () => {
    const worth = sum(skins);
    const ask = `Sell all ${skins.length} skin${skins.length === 1 ? "" : "s"} for ${formatCents(worth)}? Sold skins are gone for good.`;
    if (worth > sellAllConfirmAbove.value && !window.confirm(ask)) return;
    void run(true, () => settle("sell", { all: true }, "all skins"));
  };


  return (
    <section class="page">
      <div class="page-head">
        <h1>Inventory</h1>
        <div class="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={tab === "owned"} class={`chip${tab === "owned" ? " active" : ""}`} onClick={() => setTab("owned")}>
            Owned ({items.length})
          </button>
          <button type="button" role="tab" aria-selected={tab === "history"} class={`chip${tab === "history" ? " active" : ""}`} onClick={() => setTab("history")}>
            All items
          </button>
        </div>
      </div>
      {tab === "history" ? (
        <History />
      ) : (
        <>
          <div class="bulk-actions">
            <button type="button" class="btn btn-primary" data-testid="claim-all" disabled={busy || money.length === 0} onClick={() => run(true, () => settle("claim", { all: true }, "all cash prizes"))}>
              Claim all cash ({formatCents(sum(money))})
            </button>
            <button type="button" class="btn" data-testid="sell-all" disabled={busy || skins.length === 0} onClick={sellAll}>
              Sell all skins ({formatCents(sum(skins))})
            </button>
          </div>
          <SellAllThreshold />
          {!loaded && <p class="muted">Loading inventory…</p>}
          {loaded && items.length === 0 && (
            <p class="muted">
              Nothing here yet. <a href="/">Open a case</a>.
            </p>
          )}
          <ul class="item-grid" data-testid="inventory" aria-busy={!loaded}>
            {items.map((item) => (
              <li key={item.id} data-inventory-id={item.id} data-item-id={item.itemId}>
                <ItemCard {...item} />
                <button
                  type="button"
                  class={`btn btn-small${item.kind === "money" ? " btn-primary" : ""}`}
                  disabled={busy}
                  onClick={() => run(true, () => settle(item.kind === "money" ? "claim" : "sell", { itemId: item.id }, item.name))}
                >
                  {item.kind === "money" ? "Claim" : "Sell"} {formatCents(item.value)}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
