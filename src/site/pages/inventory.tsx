import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { ItemCard } from "../components/item-card";
import { formatCents } from "../money";
import { applyBalance, applyInventoryChange, inventory, toast, toastError } from "../state";
import { useStore } from "../store";
import type { InventoryItem } from "../types";

const STATUS_WORDS = { owned: "In inventory", claimed: "Claimed", sold: "Sold" } as const;

async function settle(action: "claim" | "sell", target: { itemId: string } | { all: true }, what: string): Promise<void> {
  try {
    const res = action === "claim" ? await api.claim(target) : await api.sell(target);
    applyBalance(res.balance, res.version);
    applyInventoryChange(res.version, [], res.itemIds);
    if (res.itemIds.length === 0) toast(`Nothing to ${action}.`);
    else toast(`${action === "claim" ? "Claimed" : "Sold"} ${what} for ${formatCents(res.credited)}`, "success");
  } catch (err) {
    toastError(err);
  }
}

function History() {
  const [items, setItems] = useState<InventoryItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const load = async (from: string | null) => {
    setLoading(true);
    try {
      const page = await api.inventory("all", from);
      setItems((prev) => (from ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      toastError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(null), []);
  return (
    <>
      {!loading && items.length === 0 && <p class="muted">You have not opened any case yet.</p>}
      <ul class="item-grid">
        {items.map((item) => (
          <li key={item.id} class={`status-${item.status}`}>
            <ItemCard {...item} />
            <span class="badge">{STATUS_WORDS[item.status]}</span>
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" class="btn" disabled={loading} onClick={() => load(cursor)}>
          Load more
        </button>
      )}
    </>
  );
}

export function InventoryPage() {
  const { items, loaded } = useStore(inventory);
  const [tab, setTab] = useState<"owned" | "history">("owned");
  const [busy, setBusy] = useState(false);
  const money = items.filter((i) => i.kind === "money");
  const skins = items.filter((i) => i.kind === "skin");
  const sum = (list: InventoryItem[]) => list.reduce((total, i) => total + i.value, 0);

  const run = async (job: () => Promise<void>) => {
    setBusy(true);
    await job();
    setBusy(false);
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
            <button type="button" class="btn btn-primary" data-testid="claim-all" disabled={busy || money.length === 0} onClick={() => run(() => settle("claim", { all: true }, "all cash prizes"))}>
              Claim all cash ({formatCents(sum(money))})
            </button>
            <button type="button" class="btn" data-testid="sell-all" disabled={busy || skins.length === 0} onClick={() => run(() => settle("sell", { all: true }, "all skins"))}>
              Sell all skins ({formatCents(sum(skins))})
            </button>
          </div>
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
                  onClick={() => run(() => settle(item.kind === "money" ? "claim" : "sell", { itemId: item.id }, item.name))}
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
