import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { FreeCountdown, useFreeOpen } from "../components/free-countdown";
import { ItemCard } from "../components/item-card";
import { RedeemCode } from "../components/redeem-code";
import { Roulette } from "../components/roulette";
import { DemoResult, WonList } from "../components/won-list";
import { demoRoll, demoWin } from "../demo-spin";
import { caseChanges } from "../live";
import { formatCents } from "../money";
import { account, applyBalance, applyInventoryChange, refreshMe, session, toastError } from "../state";
import { setTitle } from "../title";
import { fastOpen, FAST_OPEN_MS, soundOn } from "../prefs";
import { winChime } from "../sound";
import type { CaseDetail, CaseItemView, WonItem } from "../types";

const COUNTS = [1, 2, 3, 4, 5] as const;
/** Until the case has loaded: the server's REVEAL_MS replaces it. */
const DEFAULT_SPIN_MS = 5200;

/**
 * What the reel shows: a real opening's items, or a demo spin's one (nothing sent, nothing kept),
 * over the case's items as they were when it started: an admin's edit or hide meanwhile changes the
 * odds on the page but never the reel or the result the player paid for.
 */
interface Spin {
  items: WonItem[];
  caseItems: CaseItemView[];
  demo: boolean;
}

function byValueDesc(a: { value: number }, b: { value: number }) {
  return b.value - a.value;
}

const hours = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`);

interface ControlsProps {
  detail: CaseDetail;
  /** A reel is spinning (a real opening or a demo): nothing else starts meanwhile. */
  busy: boolean;
  /** A real opening is on its way. */
  opening: boolean;
  onOpen: (count: number) => void;
  /** A free case's next open on this clock: a number while it counts down. */
  freeNextAt: number | null | undefined;
  onFreeDue: () => void;
}

/** Open ×1…×5 for a paid case; one free open per cooldown, with its countdown, for a free case. */
function OpenControls({ detail, busy, opening, onOpen, freeNextAt, onFreeDue }: ControlsProps) {
  const { balance } = account.value;
  const [count, setCount] = useState(1);
  if (detail.free) {
    const waiting = typeof freeNextAt === "number";
    return (
      <div class="open-controls">
        <button type="button" class="btn btn-primary btn-large" data-testid="open-button" disabled={busy || waiting} onClick={() => onOpen(1)}>
          {opening ? "Opening…" : "Open for free"}
        </button>
        {waiting && <FreeCountdown at={freeNextAt} onDue={onFreeDue} />}
      </div>
    );
  }
  const total = detail.price * count;
  const cannotAfford = balance < total;
  return (
    <div class="open-controls">
      <div class="count-picker" role="group" aria-label="How many to open">
        {COUNTS.map((n) => (
          <button key={n} type="button" aria-pressed={count === n} aria-label={`Open ${n} at once`} class={`chip${count === n ? " active" : ""}`} disabled={busy} onClick={() => setCount(n)}>
            ×{n}
          </button>
        ))}
      </div>
      <button type="button" class="btn btn-primary btn-large" data-testid="open-button" disabled={busy || cannotAfford} onClick={() => onOpen(count)}>
        {opening ? "Opening…" : `Open ×${count} for ${formatCents(total)}`}
      </button>
      {cannotAfford && (
        <div class="short-of-money">
          <p class="form-error">Your balance is too low for this. Open a free case, redeem a code, or claim or sell items first.</p>
          <RedeemCode compact />
        </div>
      )}
    </div>
  );
}

/** Sound and fast open, remembered by this browser (../prefs.ts). */
function SpinPreferences() {
  return (
    <div class="spin-prefs" role="group" aria-label="Reel settings">
      <label>
        <input type="checkbox" data-testid="sound-toggle" checked={soundOn.value} onChange={(e) => (soundOn.value = e.currentTarget.checked)} /> Sound
      </label>
      <label>
        <input type="checkbox" data-testid="fast-open-toggle" checked={fastOpen.value} onChange={(e) => (fastOpen.value = e.currentTarget.checked)} /> Fast open
        <span class="muted small"> (a short reel)</span>
      </label>
    </div>
  );
}

export function CasePage({ slug }: { slug: string }) {
  const { user } = session.value;
  const change = caseChanges.value;
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [spinMs, setSpinMs] = useState(DEFAULT_SPIN_MS);
  const [missing, setMissing] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [opening, setOpening] = useState(false);
  const [spin, setSpin] = useState<Spin | null>(null);
  const [result, setResult] = useState<Spin | null>(null);
  const free = useFreeOpen(detail?.free ? detail.id : null, user !== null);

  const load = async () => {
    try {
      const res = await api.caseDetail(slug);
      setDetail(res.case);
      setSpinMs(res.revealMs);
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

  useEffect(() => {
    if (detail) setTitle(detail.name);
    else if (missing) setTitle("Case not available");
  }, [detail?.name, missing]);

  // An admin edited this case (or removed it): show the current odds, not stale ones.
  useEffect(() => {
    if (change && detail && change.caseId === detail.id) void load();
  }, [change]);

  const open = async (count: number) => {
    if (!detail) return;
    setBusy(true);
    setOpening(true);
    setResult(null);
    try {
      const res = await api.open(detail.slug, count);
      applyBalance(res.balance, res.version);
      applyInventoryChange(res.version, res.items);
      setSpin({ items: res.items, caseItems: detail.items, demo: false });
      if (detail.free) void free.refresh();
    } catch (err) {
      if (err instanceof ApiError && err.retryAfter !== null && detail.free) free.waitFor(err.retryAfter);
      // The server knows better than the TopBar (an event this tab missed): show the real balance.
      if (err instanceof ApiError && err.code === "insufficient_balance") void refreshMe();
      toastError(err);
      setBusy(false);
      setOpening(false);
    }
  };

  // Drawn here, over the public odds; nothing is sent (see ../demo-spin.ts).
  const demo = () => {
    if (!detail) return;
    setBusy(true);
    setResult(null);
    setSpin({ items: [demoWin(detail.id, demoRoll(detail.items))], caseItems: detail.items, demo: true });
  };

  // The stopped strips stay on screen above the result, so the player sees where each one landed.
  const spun = () => {
    if (spin) winChime(spin.items.some((w) => ["classified", "covert", "extraordinary"].includes(w.rarity)));
    setResult(spin);
    setBusy(false);
    setOpening(false);
  };

  // Hidden or deleted while this page shows it: a spin under way (or its result) stays on screen.
  if (missing && (!detail || (!spin && !result))) {
    return (
      <section class="page">
        <p class="panel notice">{missing}</p>
        <a href="/" class="btn">Back to cases</a>
      </section>
    );
  }
  if (!detail) return <section class="page"><p class="muted">Loading case…</p></section>;

  const demoWon = result?.demo ? result.items[0] : undefined;
  return (
    <section class="page case-page" data-case-id={detail.id}>
      <a href="/" class="back">← All cases</a>
      <div class="case-header panel">
        <img src={detail.imageUrl ?? "/img/case-starter.svg"} alt="" width={180} height={135} />
        <div>
          <h1>{detail.name}</h1>
          <p class="case-price-big">{detail.free && detail.freeCooldownSeconds ? `Free · once every ${hours(detail.freeCooldownSeconds)}` : `${formatCents(detail.price)} per case`}</p>
          {missing ? (
            <p class="panel notice" role="status">
              {missing} <a href="/">Back to cases</a>
            </p>
          ) : user ? (
            <OpenControls detail={detail} busy={busy} opening={opening} onOpen={open} freeNextAt={free.nextAt} onFreeDue={() => void free.refresh()} />
          ) : (
            <p>
              <a href="/login" class="btn btn-primary">Log in to open</a>
            </p>
          )}
          <button type="button" class="btn btn-ghost demo-button" data-testid="demo-button" disabled={busy || missing !== null} onClick={demo}>
            Demo spin <span class="muted small">(free, nothing is recorded)</span>
          </button>
          <SpinPreferences />
        </div>
      </div>

      {spin && (
        <Roulette
          key={spin.items[0]?.id}
          items={spin.caseItems}
          won={spin.items}
          spinMs={fastOpen.value ? Math.min(FAST_OPEN_MS, spinMs) : spinMs}
          demo={spin.demo}
          sound={soundOn.value}
          onDone={spun}
        />
      )}
      {result && !result.demo && result.items.length > 0 && <WonList won={result.items} />}
      {demoWon && <DemoResult won={demoWon} />}

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
