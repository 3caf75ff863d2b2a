import { useState } from "preact/hooks";
import { upgradeChance } from "../../fairness/verify";
import { chanceAllowed, formatChance, MAX_STAKED_ITEMS } from "../../features/upgrader/rules";
import { api } from "../api";
import { ItemCard } from "../components/item-card";
import { UpgradeDial, type DialSpin } from "../components/upgrade-dial";
import { useAction, usePages } from "../hooks";
import { currencySymbol, formatCents, parseCents } from "../money";
import { applyBalance, applyInventoryChange, inventory } from "../state";
import type { TargetPage, UpgradeResult, UpgradeTarget } from "../types";

/** ×target/stake with two decimals, in integers: 1000 / 400 → "×2.50". */
function multiplierText(stake: number, target: number): string {
  if (stake <= 0) return "";
  const hundredths = Math.floor((target * 100) / stake);
  return `×${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, "0")}`;
}

function Targets({ picked, onPick, onRules }: { picked: UpgradeTarget | null; onPick: (t: UpgradeTarget) => void; onRules: (page: TargetPage) => void }) {
  const [query, setQuery] = useState("");
  const [minText, setMin] = useState("");
  const [maxText, setMax] = useState("");
  const min = minText.trim() ? parseCents(minText) : null;
  const max = maxText.trim() ? parseCents(maxText) : null;
  const { items, loading, loadMore } = usePages(
    (cursor) =>
      api.upgradeTargets({ query, min, max }, cursor).then((page) => {
        onRules(page);
        return page;
      }),
    [query, min, max],
    250,
  );
  return (
    <div class="panel upgrader-targets">
      <h2>Pick the skin to win</h2>
      <div class="target-filters">
        <input type="search" aria-label="Search skins" placeholder="Search skins" value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="target-search" />
        <input aria-label={`Minimum value in ${currencySymbol()}`} placeholder={`min ${currencySymbol()}`} inputMode="decimal" value={minText} onInput={(e) => setMin(e.currentTarget.value)} />
        <input aria-label={`Maximum value in ${currencySymbol()}`} placeholder={`max ${currencySymbol()}`} inputMode="decimal" value={maxText} onInput={(e) => setMax(e.currentTarget.value)} />
      </div>
      {(minText.trim() && min === null) || (maxText.trim() && max === null) ? <p class="form-error">Values are amounts like 12.50.</p> : null}
      <ul class="pick-list" data-testid="targets" aria-busy={loading}>
        {items?.map((t) => (
          <li key={t.itemId}>
            <button type="button" class="pick" aria-pressed={picked?.itemId === t.itemId} data-target-id={t.itemId} onClick={() => onPick(t)}>
              <ItemCard name={t.name} imageUrl={t.imageUrl} rarity={t.rarity} value={t.value} kind="skin" compact />
            </button>
          </li>
        ))}
      </ul>
      {!loading && items?.length === 0 && <p class="muted">No skin matches.</p>}
      {loadMore && (
        <button type="button" class="btn btn-small" disabled={loading} onClick={loadMore}>
          More skins
        </button>
      )}
    </div>
  );
}

export function UpgraderPage() {
  const { items: owned, loaded } = inventory.value;
  const [selected, setSelected] = useState<string[]>([]);
  const [target, setTarget] = useState<UpgradeTarget | null>(null);
  const [rules, setRules] = useState<TargetPage | null>(null);
  const [spin, setSpin] = useState<DialSpin | null>(null);
  const [pending, setPending] = useState<UpgradeResult | null>(null);
  const [result, setResult] = useState<UpgradeResult | null>(null);
  const { busy, run } = useAction();

  // The won item waits for the dial: it joins the list of skins only once the pointer has stopped.
  const skins = owned.filter((i) => i.kind === "skin" && i.id !== pending?.item?.id);
  const stake = skins.filter((i) => selected.includes(i.id));
  const stakedValue = stake.reduce((sum, i) => sum + i.value, 0);
  const chance = rules && target && stake.length > 0 ? upgradeChance(stakedValue, target.value, rules.houseEdge) : null;
  const allowed = chance !== null && chanceAllowed(chance);

  const toggle = (id: string) =>
    setSelected((current) => (current.includes(id) ? current.filter((x) => x !== id) : current.length >= MAX_STAKED_ITEMS ? current : [...current, id]));

  const go = () =>
    run(true, async () => {
      setResult(null);
      const res = await api.upgrade(stake.map((i) => i.id), target?.itemId ?? "");
      setPending(res);
      applyBalance(res.balance, res.version);
      applyInventoryChange(res.version, res.item ? [res.item] : [], res.staked.items.map((i) => i.id));
      setSelected([]);
      setSpin({ id: res.id, roll: res.roll, won: res.won });
    });

  const stopped = () => {
    setResult(pending);
    setPending(null);
  };

  return (
    <section class="page upgrader-page">
      <h1>Upgrader</h1>
      <p class="muted">
        Stake up to {MAX_STAKED_ITEMS} of your skins for a chance at a better one. The chance is the staked value over the target's
        {rules ? `, less a ${formatChance(rules.houseEdge)} edge` : ""}, from 1 % to 80 %; a provably fair roll decides, and the staked skins are gone either way.
      </p>
      <div class="upgrader-layout">
        <div class="panel upgrader-stake">
          <h2>Your skins</h2>
          {!loaded && <p class="muted">Loading inventory…</p>}
          {loaded && skins.length === 0 && (
            <p class="muted">
              No skins to stake. <a href="/">Open a case</a>.
            </p>
          )}
          <ul class="pick-list" data-testid="stake-skins">
            {skins.map((i) => (
              <li key={i.id}>
                <button type="button" class="pick" aria-pressed={selected.includes(i.id)} data-inventory-id={i.id} disabled={busy || (!selected.includes(i.id) && selected.length >= MAX_STAKED_ITEMS)} onClick={() => toggle(i.id)}>
                  <ItemCard {...i} compact />
                </button>
              </li>
            ))}
          </ul>
        </div>

        <div class="panel upgrader-dial">
          <UpgradeDial chance={pending ? pending.chance : (chance ?? result?.chance ?? null)} spin={spin} onDone={stopped} />
          <dl class="upgrade-sums">
            <dt>Stake</dt>
            <dd data-testid="stake-value">{formatCents(stakedValue)} ({stake.length}/{MAX_STAKED_ITEMS})</dd>
            <dt>Target</dt>
            <dd>{target ? `${target.name} · ${formatCents(target.value)} ${multiplierText(stakedValue, target.value)}` : "–"}</dd>
          </dl>
          {chance !== null && !allowed && <p class="form-error">The chance would be {formatChance(chance)}: it must be from 1 % to 80 %. Stake more, or pick {chance > 8000 ? "a pricier" : "a cheaper"} skin.</p>}
          <button type="button" class="btn btn-primary btn-large btn-block" data-testid="upgrade-button" disabled={busy || pending !== null || !allowed} onClick={go}>
            {pending ? "Rolling…" : chance !== null && allowed ? `Upgrade at ${formatChance(chance)}` : "Upgrade"}
          </button>
          {result && (
            <div class={`upgrade-result ${result.won ? "won" : "lost"}`} role="status" data-testid="upgrade-result" data-won={String(result.won)}>
              {result.won && result.item ? (
                <>
                  <h2>You won {result.item.name}!</h2>
                  <ItemCard {...result.item} />
                </>
              ) : (
                <h2>Lost: the roll was {result.roll.toLocaleString("en-US")}, a win needed below {(result.chance * 100).toLocaleString("en-US")}.</h2>
              )}
              <p class="small muted">
                Nonce {result.nonce} on your seed <span class="mono">{result.seed.hash.slice(0, 12)}…</span> · <a href="/fairness">Verify it</a>
              </p>
            </div>
          )}
        </div>

        <Targets picked={target} onPick={setTarget} onRules={setRules} />
      </div>
    </section>
  );
}
