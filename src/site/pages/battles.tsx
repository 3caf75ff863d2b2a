import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { applyLobbyUpdate, lobbyList, rebaseLobby, type LobbyBook } from "../battle-view";
import { Field } from "../components/field";
import { reconnects, subscribe } from "../live";
import { formatCents, parseCents } from "../money";
import { session, toastError } from "../state";
import type { BattleMode, BattleSummary } from "../types";

export const MODE_WORDS: Record<BattleMode, { name: string; rule: string }> = {
  classic: { name: "Classic", rule: "The highest total value of items wins." },
  crazy: { name: "Crazy", rule: "The lowest total value of items wins." },
  terminal: { name: "Terminal", rule: "Only the last round counts: the best item in it wins." },
};

/** A seat count as pips: filled for taken seats. */
function Seats({ battle }: { battle: BattleSummary }) {
  return (
    <span class="seat-pips" aria-label={`${battle.seatsTaken} of ${battle.seatCount} seats taken`}>
      {Array.from({ length: battle.seatCount }, (_, i) => (
        <span key={i} class={`pip${i < battle.seatsTaken ? " taken" : ""}`} aria-hidden="true" />
      ))}
    </span>
  );
}

function BattleRow({ battle }: { battle: BattleSummary }) {
  const waiting = battle.status === "waiting";
  return (
    <li class="battle-row panel" data-battle-id={battle.id} data-status={battle.status}>
      <div class="battle-row-head">
        <strong class="battle-format">{battle.format}</strong>
        <span class={`badge mode-${battle.mode}`} title={MODE_WORDS[battle.mode].rule}>
          {MODE_WORDS[battle.mode].name}
        </span>
        <span class="muted small">by {battle.creator.displayName}</span>
      </div>
      <ul class="battle-cases" aria-label={`${battle.rounds.length} rounds`}>
        {battle.rounds.map((r) => (
          <li key={r.round} title={`Round ${r.round}: ${r.name} (${formatCents(r.price)})`}>
            <img src={r.imageUrl ?? "/img/case-starter.svg"} alt={r.name} width={44} height={33} />
          </li>
        ))}
      </ul>
      <div class="battle-row-foot">
        <span class="battle-entry">
          <span class="muted small">Entry </span>
          {formatCents(battle.entry)}
        </span>
        <Seats battle={battle} />
        <a class={`btn btn-small${waiting ? " btn-primary" : ""}`} href={`/battles/${battle.id}`}>
          {waiting ? "Join or watch" : "Watch"}
          <span class="sr-only"> the {battle.format} battle by {battle.creator.displayName}</span>
        </a>
      </div>
    </li>
  );
}

/** An entry filter's text: empty means no bound. */
function parseBound(text: string): { cents: number | null; error?: string } {
  if (text.trim() === "") return { cents: null };
  const cents = parseCents(text);
  return cents === null || cents < 0 ? { cents: null, error: "Enter an amount like 5 or 12.50." } : { cents };
}

/**
 * The battles lobby: public battles waiting for players and running ones. It reads REST once, then
 * folds the lobby socket's `battles:updated` in, and reads REST again whenever the sockets come back
 * (nothing replays lobby battle events).
 */
export function BattlesPage() {
  const { user } = session.value;
  const reconnected = reconnects.value;
  const [book, setBook] = useState<LobbyBook>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [from, setFrom] = useState("");
  const [upTo, setUpTo] = useState("");
  const generation = useRef(0);

  useEffect(() => subscribe("battles:updated", (summary) => setBook((held) => applyLobbyUpdate(held, summary, performance.now()))), []);

  useEffect(() => {
    const mine = ++generation.current;
    const since = performance.now();
    Promise.all([api.battles("waiting"), api.battles("running")]).then(([waiting, running]) => {
      if (mine !== generation.current) return;
      setBook((held) => rebaseLobby(held, [...waiting.battles, ...running.battles], since, performance.now()));
      setLoaded(true);
    }, toastError);
  }, [reconnected]);

  const min = parseBound(from);
  const max = parseBound(upTo);
  const inRange = (b: BattleSummary) => (min.cents === null || b.entry >= min.cents) && (max.cents === null || b.entry <= max.cents);
  const { waiting, running } = lobbyList(book);
  const shownWaiting = waiting.filter(inRange);
  const shownRunning = running.filter(inRange);

  return (
    <section class="page battles-page">
      <div class="page-head">
        <h1>Case battles</h1>
        {user ? (
          <a class="btn btn-primary" href="/battles/new" data-testid="create-battle">Create battle</a>
        ) : (
          <a class="btn btn-primary" href="/login">Log in to create a battle</a>
        )}
      </div>
      <p class="muted">
        Two to four players pay the same entry and open the same cases round by round; the best total takes every item. Anyone can watch.
      </p>
      <form class="inline-form battle-filters panel" role="search" aria-label="Filter battles by entry" onSubmit={(e) => e.preventDefault()}>
        <Field id="entry-from" label="Entry from (€)" error={min.error}>
          <input id="entry-from" inputMode="decimal" value={from} placeholder="0" onInput={(e) => setFrom(e.currentTarget.value)} />
        </Field>
        <Field id="entry-to" label="Entry up to (€)" error={max.error}>
          <input id="entry-to" inputMode="decimal" value={upTo} placeholder="any" onInput={(e) => setUpTo(e.currentTarget.value)} />
        </Field>
        {(from || upTo) && (
          <button type="button" class="btn btn-ghost" onClick={() => {
              setFrom("");
              setUpTo("");
            }}>
            Clear filter
          </button>
        )}
      </form>

      <h2 class="section-title">Waiting for players</h2>
      {!loaded && <p class="muted">Loading battles…</p>}
      {loaded && shownWaiting.length === 0 && <p class="muted">{waiting.length === 0 ? "No battle is waiting for players. Create one!" : "No waiting battle in this price range."}</p>}
      <ul class="battle-list" data-testid="waiting-battles" aria-live="polite">
        {shownWaiting.map((b) => (
          <BattleRow key={b.id} battle={b} />
        ))}
      </ul>

      <h2 class="section-title">Running now</h2>
      {loaded && shownRunning.length === 0 && <p class="muted">{running.length === 0 ? "No battle is running right now." : "No running battle in this price range."}</p>}
      <ul class="battle-list" data-testid="running-battles">
        {shownRunning.map((b) => (
          <BattleRow key={b.id} battle={b} />
        ))}
      </ul>
    </section>
  );
}
