import { useState } from "preact/hooks";
import { BATTLE_FORMATS, BATTLE_MODES, MAX_BATTLE_ROUNDS, SEATS_OF } from "../../features/battles/rules";
import { api, ApiError, describeError } from "../api";
import { Field } from "../components/field";
import { formatCents } from "../money";
import { navigate } from "../router";
import { account, catalog, refreshMe } from "../state";
import type { BattleFormat, BattleMode, CaseSummary } from "../types";
import { MODE_WORDS } from "./battles";

const FORMAT_WORDS: Record<BattleFormat, string> = {
  "1v1": "2 players, each on their own",
  "1v1v1": "3 players, each on their own",
  "1v1v1v1": "4 players, each on their own",
  "2v2": "4 players in two teams of two; the winning team shares the items",
};

/** A fresh client seed, made in this browser: the rolls depend on it, so the server does not choose it. */
export function randomClientSeed(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface Problems {
  general?: string;
  cases?: string;
  format?: string;
  mode?: string;
  clientSeed?: string;
}

/** The API's field issues, next to the fields they are about; anything else above the button. */
function problemsOf(err: unknown): Problems {
  if (!(err instanceof ApiError)) return { general: describeError(err) };
  const problems: Problems = {};
  const rest: string[] = [];
  for (const issue of err.issues) {
    const field = issue.path.split(".")[0];
    if (field === "cases" || field === "format" || field === "mode" || field === "clientSeed") problems[field] ??= issue.message;
    else rest.push(`${issue.path}: ${issue.message}`);
  }
  if (err.issues.length === 0 || rest.length > 0) problems.general = [err.message, ...rest].join(" ");
  return problems;
}

/** One row of the rounds list: the case, and buttons to move it or take it out. */
function RoundRow(props: { index: number; count: number; summary: CaseSummary | undefined; onMove: (to: number) => void; onRemove: () => void }) {
  const { index, count, summary, onMove, onRemove } = props;
  const n = index + 1;
  return (
    <li class={`round-row${summary ? "" : " gone"}`} data-round={n}>
      <span class="round-no">{n}</span>
      {summary ? (
        <>
          <img src={summary.imageUrl ?? "/img/case-starter.svg"} alt="" width={40} height={30} />
          <span class="round-name">{summary.name}</span>
          <span class="round-price">{formatCents(summary.price)}</span>
        </>
      ) : (
        <span class="round-name form-error">This case is no longer available: remove it.</span>
      )}
      <span class="round-actions">
        <button type="button" class="btn btn-small btn-ghost" aria-label={`Move round ${n} up`} disabled={index === 0} onClick={() => onMove(index - 1)}>
          ↑
        </button>
        <button type="button" class="btn btn-small btn-ghost" aria-label={`Move round ${n} down`} disabled={index === count - 1} onClick={() => onMove(index + 1)}>
          ↓
        </button>
        <button type="button" class="btn btn-small btn-ghost" aria-label={`Remove round ${n}`} onClick={onRemove}>
          ✕
        </button>
      </span>
    </li>
  );
}

/** `/battles/new`: rounds, format, mode and visibility, with the entry shown before paying. */
export function CreateBattlePage() {
  const { cases, loaded } = catalog.value;
  const { balance } = account.value;
  // Free cases cannot be battled (the server refuses them): they are not offered.
  const paid = cases.filter((c) => !c.free);
  const byId = new Map(cases.map((c) => [c.id, c]));
  const [rounds, setRounds] = useState<string[]>([]);
  const [format, setFormat] = useState<BattleFormat>("1v1");
  const [mode, setMode] = useState<BattleMode>("classic");
  const [isPrivate, setPrivate] = useState(false);
  const [clientSeed, setClientSeed] = useState(randomClientSeed);
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);

  // The catalogue is live: a price an admin changed shows here at once, and so does the entry.
  const entry = rounds.reduce((sum, id) => sum + (byId.get(id)?.price ?? 0), 0);
  const gone = rounds.some((id) => !byId.has(id));
  const full = rounds.length >= MAX_BATTLE_ROUNDS;
  const short = balance < entry;

  const add = (id: string) => {
    if (full) return;
    setRounds([...rounds, id]);
    setProblems({ ...problems, cases: undefined });
  };
  const move = (from: number, to: number) => {
    const next = [...rounds];
    const [moved] = next.splice(from, 1);
    if (moved === undefined) return;
    next.splice(to, 0, moved);
    setRounds(next);
  };
  const remove = (at: number) => setRounds(rounds.filter((_, i) => i !== at));

  const submit = async (event: Event) => {
    event.preventDefault();
    if (rounds.length === 0) return setProblems({ cases: "Add at least one case: one case is one round." });
    if (gone) return setProblems({ cases: "Remove the rounds whose case is no longer available." });
    setProblems({});
    setBusy(true);
    try {
      const { battle } = await api.createBattle({ cases: rounds, format, mode, private: isPrivate, clientSeed });
      navigate(`/battles/${battle.id}`);
    } catch (err) {
      // The server knows the balance better than this tab (an event it missed).
      if (err instanceof ApiError && err.code === "insufficient_balance") void refreshMe();
      setProblems(problemsOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page battle-create">
      <a href="/battles" class="back">← All battles</a>
      <h1>Create a battle</h1>
      <form onSubmit={submit} class="create-form" aria-describedby="entry-line" noValidate>
        <div class="panel">
          <h2 id="pick-heading">Rounds</h2>
          <p class="muted small">One case per round, up to {MAX_BATTLE_ROUNDS}. Repeats are fine; the order is the order they are opened in.</p>
          {!loaded && <p class="muted">Loading cases…</p>}
          <ul class="case-picker" aria-labelledby="pick-heading" data-testid="case-picker">
            {paid.map((c) => (
              <li key={c.id}>
                <button type="button" class="case-pick" data-case-slug={c.slug} disabled={full || busy} onClick={() => add(c.id)}>
                  <img src={c.imageUrl ?? "/img/case-starter.svg"} alt="" width={80} height={60} />
                  {/* The accessible name is the visible text with its verb in front (axe: label-content-name-mismatch). */}
                  <span class="sr-only">Add a round of </span>
                  <span class="case-name">{c.name}</span>
                  <span class="case-price">{formatCents(c.price)}</span>
                </button>
              </li>
            ))}
          </ul>
          <div class={`field${problems.cases ? " has-error" : ""}`}>
            <span class="field-label" id="rounds-label">
              {rounds.length === 0 ? "No rounds yet: add a case above." : `${rounds.length} round${rounds.length === 1 ? "" : "s"}${full ? " (the most a battle has)" : ""}`}
            </span>
            <ol class="round-list" aria-labelledby="rounds-label" data-testid="round-list">
              {rounds.map((id, i) => (
                <RoundRow key={`${i}-${id}`} index={i} count={rounds.length} summary={byId.get(id)} onMove={(to) => move(i, to)} onRemove={() => remove(i)} />
              ))}
            </ol>
            {problems.cases && (
              <small class="field-error" role="alert" data-error-for="cases">
                {problems.cases}
              </small>
            )}
          </div>
        </div>

        <div class="two-col">
          <fieldset class="panel choice" aria-describedby={problems.format ? "format-error" : undefined}>
            <legend>Format</legend>
            {BATTLE_FORMATS.map((f) => (
              <label key={f} class="check choice-row">
                <input type="radio" name="format" value={f} checked={format === f} onChange={() => setFormat(f)} />
                <span>
                  <strong>{f}</strong> <span class="muted small">{FORMAT_WORDS[f]}</span>
                </span>
              </label>
            ))}
            {problems.format && <small class="field-error" id="format-error" role="alert">{problems.format}</small>}
          </fieldset>
          <fieldset class="panel choice" aria-describedby={problems.mode ? "mode-error" : undefined}>
            <legend>Mode</legend>
            {BATTLE_MODES.map((m) => (
              <label key={m} class="check choice-row">
                <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
                <span>
                  <strong>{MODE_WORDS[m].name}</strong> <span class="muted small">{MODE_WORDS[m].rule}</span>
                </span>
              </label>
            ))}
            {problems.mode && <small class="field-error" id="mode-error" role="alert">{problems.mode}</small>}
          </fieldset>
        </div>

        <div class="panel">
          <label class="check">
            <input type="checkbox" id="battle-private" checked={isPrivate} onChange={(e) => setPrivate(e.currentTarget.checked)} />
            Private: not listed in the lobby, only people with the link can join or watch
          </label>
          <Field id="battle-client-seed" label="Your client seed" error={problems.clientSeed} hint="Made in your browser; part of every roll of the battle. Letters, digits, _ or -, up to 64.">
            <input id="battle-client-seed" class="mono" value={clientSeed} onInput={(e) => setClientSeed(e.currentTarget.value)} />
          </Field>
        </div>

        <div class="panel create-pay">
          <p id="entry-line" class="entry-line" aria-live="polite" data-testid="battle-entry">
            Entry per seat: <strong>{formatCents(entry)}</strong>
            <span class="muted small"> · {SEATS_OF[format]} seats · you take seat 1 and pay now</span>
          </p>
          {short && rounds.length > 0 && <p class="form-error">Your balance ({formatCents(balance)}) is below the entry.</p>}
          {problems.general && (
            <p class="form-error" role="alert" data-testid="create-error">
              {problems.general}
            </p>
          )}
          <button type="submit" class="btn btn-primary btn-large" data-testid="create-submit" disabled={busy || rounds.length === 0 || gone}>
            {busy ? "Creating…" : `Create and pay ${formatCents(entry)}`}
          </button>
        </div>
      </form>
    </section>
  );
}
