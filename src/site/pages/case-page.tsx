import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { ItemCard } from "../components/item-card";
import { Roulette } from "../components/roulette";
import { caseChanges } from "../live";
import { formatCents } from "../money";
import { account, applyBalance, applyInventoryChange, session, toast, toastError } from "../state";
import type { CaseDetail, OpenResponse, WonItem } from "../types";

const COUNTS = [1, 2, 3, 4, 5] as const;

function byValueDesc(a: { value: number }, b: { value: number }) {
  return b.value - a.value;
}

function WonList({ won }: { won: readonly WonItem[] }) {
  const [settled, setSettled] = useState<Record<string, string>>({});
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
      <h2>
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

export function CasePage({ slug }: { slug: string }) {
  const { user } = session.value;
  const { balance } = account.value;
  const change = caseChanges.value;
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const [count, setCount] = useState(1);
  const [busy, setBusy] = useState(false);
  const [spin, setSpin] = useState<OpenResponse | null>(null);
  const [result, setResult] = useState<WonItem[] | null>(null);

  const load = async () => {
    try {
      const res = await api.caseDetail(slug);
      setDetail(res.case);
      setMissing(null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setMissing("This case is not available any more.");
      else toastError(err);
    }
  };

  useEffect(() => {
    setDetail(null);
    setResult(null);
    setSpin(null);
    void load();
  }, [slug]);

  // An admin edited this case (or removed it): show the current odds, not stale ones.
  useEffect(() => {
    if (change && detail && change.caseId === detail.id) void load();
  }, [change]);

  const open = async () => {
    if (!detail) return;
    setBusy(true);
    setResult(null);
    try {
      const res = await api.open(detail.slug, count);
      applyBalance(res.balance, res.version);
      applyInventoryChange(res.version, res.items);
      setSpin(res);
    } catch (err) {
      toastError(err);
      setBusy(false);
    }
  };

  // The stopped strips stay on screen above the result, so the player sees where each one landed.
  const spun = () => {
    setResult(spin?.items ?? []);
    setBusy(false);
  };

  if (missing) {
    return (
      <section class="page">
        <p class="panel notice">{missing}</p>
        <a href="/" class="btn">Back to cases</a>
      </section>
    );
  }
  if (!detail) return <section class="page"><p class="muted">Loading case…</p></section>;

  const total = detail.price * count;
  const cannotAfford = user !== null && balance < total;
  return (
    <section class="page case-page" data-case-id={detail.id}>
      <a href="/" class="back">← All cases</a>
      <div class="case-header panel">
        <img src={detail.imageUrl ?? "/img/case-starter.svg"} alt="" width={180} height={135} />
        <div>
          <h1>{detail.name}</h1>
          <p class="case-price-big">{formatCents(detail.price)} per case</p>
          {user ? (
            <div class="open-controls">
              <div class="count-picker" role="group" aria-label="How many to open">
                {COUNTS.map((n) => (
                  <button
                    key={n}
                    type="button"
                    aria-pressed={count === n}
                    aria-label={`Open ${n} at once`}
                    class={`chip${count === n ? " active" : ""}`}
                    disabled={busy}
                    onClick={() => setCount(n)}
                  >
                    ×{n}
                  </button>
                ))}
              </div>
              <button type="button" class="btn btn-primary btn-large" data-testid="open-button" disabled={busy || cannotAfford} onClick={open}>
                {busy ? "Opening…" : `Open ×${count} for ${formatCents(total)}`}
              </button>
              {cannotAfford && <p class="form-error">Your balance is too low for this. Claim or sell items first.</p>}
            </div>
          ) : (
            <p>
              <a href="/login" class="btn btn-primary">Log in to open</a>
            </p>
          )}
        </div>
      </div>

      {spin && <Roulette key={spin.items[0]?.id} items={detail.items} won={spin.items} onDone={spun} />}
      {result && result.length > 0 && <WonList won={result} />}

      <h2 class="section-title">What's inside</h2>
      <ul class="item-grid" data-testid="case-items">
        {[...detail.items].sort(byValueDesc).map((item) => (
          <li key={item.id}>
            <ItemCard {...item} />
          </li>
        ))}
      </ul>
    </section>
  );
}
