import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import {
  applyCancelled,
  applyFinished,
  applyJoined,
  applyRound,
  applyStarted,
  landedRounds,
  landsAt,
  leadingTeam,
  shownTotals,
  takeSnapshot,
  teamTotals,
} from "../battle-view";
import { BattleVerifier } from "../components/battle-verifier";
import { Field } from "../components/field";
import { ItemCard } from "../components/item-card";
import { Strip, type ReelOdds, type Tile } from "../components/roulette";
import { useAction } from "../hooks";
import { battleSockets, reconnects, subscribe, watchBattle } from "../live";
import { formatCents } from "../money";
import { refreshMe, session, toast, toastError } from "../state";
import { setTitle } from "../title";
import type { BattleRoll, BattleRoundResult, BattleSeat, BattleState } from "../types";
import { randomClientSeed } from "./battle-create";
import { MODE_WORDS } from "./battles";

const REDUCED = typeof window !== "undefined" && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

const tileOf = (roll: BattleRoll): Tile => ({ itemId: roll.item.id, name: roll.item.name, imageUrl: roll.item.imageUrl, rarity: roll.item.rarity, kind: roll.item.kind });

const seatName = (seat: BattleSeat) => seat.occupant?.displayName ?? `Seat ${seat.seat}`;

/** The items a round's reels are filled with: the case revision it rolls against. */
function oddsOf(battle: BattleState, round: number): readonly ReelOdds[] {
  const rc = battle.rounds.find((r) => r.round === round);
  return battle.cases.find((c) => rc && c.caseId === rc.caseId && c.caseVersion === rc.caseVersion)?.items ?? [];
}

/**
 * One seat's reel for one round. It spins for what is left of the round's spin on the server's
 * clock, so every browser in the room stops on the same item at the same moment; a round that has
 * already stopped (a late joiner, a reconnect) is shown at rest at once.
 */
function SeatReel(props: { battle: BattleState; round: BattleRoundResult; roll: BattleRoll; landed: boolean; serverNow: () => number }) {
  const { battle, round, roll, landed, serverNow } = props;
  // Keyed by what they are, not by object: a fresh snapshot mid-spin must not redraw the strip.
  const items = useMemo(() => oddsOf(battle, round.round), [battle.id, round.round]);
  const won = useMemo(() => tileOf(roll), [roll.item.id]);
  // Fixed when the reel appears: a re-render must not restart the spin with a new length.
  const left = useMemo(() => Math.max(0, landsAt(round, battle.roundMs) - serverNow()), [round.round]);
  return <Strip items={items} won={won} spinMs={left} reduced={REDUCED} skip={left < 50} landed={landed} onStop={() => undefined} vertical />;
}

interface SeatProps {
  battle: BattleState;
  seat: BattleSeat;
  total: number;
  landed: BattleRoundResult[];
  spinning: BattleRoundResult | null;
  leading: boolean;
  winner: boolean;
  mine: boolean;
  serverNow: () => number;
  join: ((seat: number) => void) | null;
  busy: boolean;
}

function SeatColumn(props: SeatProps) {
  const { battle, seat, total, landed, spinning, leading, winner, mine, serverNow, join, busy } = props;
  const occupant = seat.occupant;
  const last = landed[landed.length - 1];
  const lastRoll = last?.results.find((r) => r.seat === seat.seat);
  const current = spinning ?? last ?? null;
  const currentRoll = current?.results.find((r) => r.seat === seat.seat);
  const headingId = `seat-${seat.seat}-name`;
  return (
    <section
      class={`seat-col${winner ? " winner" : ""}${leading ? " leading" : ""}${mine ? " mine" : ""}`}
      aria-labelledby={headingId}
      data-testid={`seat-${seat.seat}`}
      data-seat={seat.seat}
      data-landed-round={last?.round ?? 0}
      data-landed-item={lastRoll?.item.id ?? ""}
    >
      <header class="seat-head">
        <h2 id={headingId} class="seat-name">
          {occupant ? occupant.displayName : "Empty seat"}
          {occupant?.bot && <span class="badge">Bot</span>}
          {mine && <span class="badge badge-live">You</span>}
        </h2>
        <span class="muted small">
          Seat {seat.seat}
          {battle.format === "2v2" && ` · Team ${seat.team}`}
        </span>
        <span class="seat-total" aria-label={`${seatName(seat)}'s total`} data-testid={`seat-${seat.seat}-total`}>
          {formatCents(total)}
        </span>
      </header>
      <div class="seat-reel">
        {current && currentRoll ? (
          <SeatReel key={current.round} battle={battle} round={current} roll={currentRoll} landed={current === last} serverNow={serverNow} />
        ) : occupant ? (
          <div class="reel-idle">{battle.status === "waiting" ? "Ready" : battle.status === "running" ? "Starting…" : "—"}</div>
        ) : (
          <div class="reel-idle">
            {join && battle.status === "waiting" ? (
              <button type="button" class="btn btn-primary" data-testid={`join-seat-${seat.seat}`} disabled={busy} onClick={() => join(seat.seat)}>
                Join for {formatCents(battle.entry)}
                <span class="sr-only"> in seat {seat.seat}</span>
              </button>
            ) : (
              <span class="muted">{battle.status === "waiting" ? "Waiting for a player" : "—"}</span>
            )}
          </div>
        )}
      </div>
      <ol class="seat-items" aria-label={`What ${seatName(seat)} has won, by round`}>
        {landed.map((r) => {
          const roll = r.results.find((x) => x.seat === seat.seat);
          return roll ? (
            <li key={r.round} data-round={r.round} data-item-id={roll.item.id}>
              <span class="muted small">Round {r.round}</span>
              <ItemCard {...roll.item} compact />
            </li>
          ) : null;
        })}
      </ol>
    </section>
  );
}

function WinnerBanner({ battle, mySeat }: { battle: BattleState; mySeat: number | null }) {
  const w = battle.winner;
  if (!w) return null;
  const names = battle.seats.filter((s) => w.seats.includes(s.seat)).map(seatName).join(" and ");
  const teamScore = teamTotals(battle, new Map(battle.totals.map((t) => [t.seat, t.total]))).get(w.team) ?? 0;
  const haul = battle.awards.reduce((sum, a) => sum + a.item.value, 0);
  const me = mySeat !== null && w.seats.includes(mySeat);
  return (
    <div class={`winner-banner${me ? " me" : ""}`} role="status" data-testid="winner-banner" data-winner-seats={w.seats.join(",")}>
      <h2>{me ? "You won the battle!" : `${names} ${w.seats.length > 1 ? "win" : "wins"} the battle`}</h2>
      <p>
        {battle.mode === "terminal" ? "Best last round" : battle.mode === "crazy" ? "Lowest total" : "Highest total"}: {formatCents(teamScore)} · takes {battle.awards.length} items worth{" "}
        <strong>{formatCents(haul)}</strong>
      </p>
      {w.tiebreak && (
        <p class="tiebreak" data-testid="tiebreak">
          A tie between {battle.format === "2v2" ? "teams" : "seats"} {w.tiebreak.tiedTeams.join(", ")}, settled by the provably fair roll{" "}
          <span class="mono">{w.tiebreak.roll}</span> (0 picks the first of them).
        </p>
      )}
    </div>
  );
}

function Awards({ battle }: { battle: BattleState }) {
  if (battle.awards.length === 0) return null;
  const bySeat = new Map(battle.seats.map((s) => [s.seat, s]));
  return (
    <div class="panel">
      <h2>Every item won</h2>
      <ul class="item-grid" data-testid="battle-awards">
        {battle.awards.map((a) => (
          <li key={`${a.round}-${a.fromSeat}`} data-item-id={a.item.id} data-to-seat={a.toSeat} data-inventory-id={a.inventoryId ?? undefined}>
            <ItemCard {...a.item} compact />
            <span class="muted small">
              Round {a.round}, {seatName(bySeat.get(a.fromSeat) ?? { seat: a.fromSeat, team: 0, occupant: null })}'s reel → {seatName(bySeat.get(a.toSeat) ?? { seat: a.toSeat, team: 0, occupant: null })}
              {a.inventoryId === null && " (the house keeps a bot's items)"}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function FairnessData({ battle }: { battle: BattleState }) {
  const f = battle.fairness;
  return (
    <div class="panel">
      <h2>Fairness data</h2>
      <dl class="kv">
        <dt>Server seed hash (committed at creation)</dt>
        <dd class="mono break" data-testid="battle-seed-hash">{f.serverSeedHash}</dd>
        <dt>Server seed</dt>
        <dd class="mono break" data-testid="battle-server-seed">{f.serverSeed ?? "Revealed when the battle ends"}</dd>
        <dt>Client seeds, seat by seat</dt>
        <dd>
          <ol class="seed-list">
            {battle.seats.map((s) => (
              <li key={s.seat} class="mono break">
                {s.occupant ? s.occupant.clientSeed : <span class="muted">(the seat's player brings it)</span>}
              </li>
            ))}
          </ol>
        </dd>
        <dt>Algorithm</dt>
        <dd class="mono">{f.algorithm}</dd>
      </dl>
    </div>
  );
}

function ShareLink({ id }: { id: string }) {
  const url = `${location.origin}/battles/${id}`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      toast("Link copied.", "success");
    } catch {
      toast("Copy the link from the box.", "info");
    }
  };
  return (
    <div class="panel share">
      <Field id="share-link" label="Private battle: only people with this link can join or watch">
        <div class="inline-form">
          <input id="share-link" class="mono" readOnly value={url} onFocus={(e) => e.currentTarget.select()} data-testid="share-link" />
          <button type="button" class="btn" onClick={copy}>
            Copy link
          </button>
        </div>
      </Field>
    </div>
  );
}

const STATUS_WORDS: Record<BattleState["status"], string> = {
  waiting: "Waiting for players",
  running: "Running",
  finished: "Finished",
  cancelled: "Cancelled: every seat was refunded",
  expired: "Expired unfilled: every seat was refunded",
};

/**
 * `/battles/:id`: anyone with the link watches. The state comes from REST and from the room's socket
 * (`battle:state` on every connect that cannot resume, then each event at its time), folded so a
 * replay never shows anything twice. A round is shown only once its `battle:round` has arrived.
 */
export function BattleRoomPage({ id }: { id: string }) {
  const { user } = session.value;
  const reconnected = reconnects.value;
  const socket = battleSockets.value[id];
  const [battle, setBattle] = useState<BattleState | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const [clientSeed, setClientSeed] = useState(randomClientSeed);
  const [actionError, setActionError] = useState<string | null>(null);
  const { busy, busyKey, run } = useAction<"join" | "bots" | "cancel">();
  // Server clock minus ours, from the latest snapshot: the reels stop at the server's times.
  const offset = useRef(0);
  const serverNow = () => Date.now() + offset.current;

  useEffect(() => {
    setBattle(null);
    setMissing(null);
    const snap = (s: BattleState) => {
      if (s.id !== id) return;
      offset.current = s.serverTime - Date.now();
      setBattle((held) => takeSnapshot(held, s));
    };
    const mine = <E extends { battleId: string }>(fold: (s: BattleState, e: E) => BattleState) => (e: E) => {
      if (e.battleId === id) setBattle((held) => (held ? fold(held, e) : held));
    };
    const off = [
      subscribe("battle:state", snap),
      subscribe("battle:joined", mine(applyJoined)),
      subscribe("battle:started", mine(applyStarted)),
      subscribe("battle:round", mine(applyRound)),
      subscribe("battle:finished", mine(applyFinished)),
      subscribe("battle:cancelled", mine(applyCancelled)),
    ];
    const unwatch = watchBattle(id);
    return () => {
      for (const f of off) f();
      unwatch();
    };
  }, [id]);

  // REST on arrival and whenever the sockets come back: the room's snapshot is the usual source,
  // this covers a socket that cannot connect at all (and says 404 clearly).
  useEffect(() => {
    let alive = true;
    api.battle(id).then(
      ({ battle: s }) => {
        if (!alive) return;
        offset.current = s.serverTime - Date.now();
        setBattle((held) => takeSnapshot(held, s));
      },
      (err) => {
        if (!alive) return;
        if (err instanceof ApiError && err.status === 404) setMissing("There is no battle at this link.");
        else toastError(err);
      },
    );
    return () => {
      alive = false;
    };
  }, [id, reconnected]);

  // Re-render when the next round's reels stop (its items and totals appear then).
  useEffect(() => {
    if (!battle) return undefined;
    const now = serverNow();
    const next = battle.revealed.map((r) => landsAt(r, battle.roundMs)).find((t) => t > now);
    if (next === undefined) return undefined;
    const timer = setTimeout(() => setTick((n) => n + 1), next - now + 5);
    return () => clearTimeout(timer);
  });

  useEffect(() => {
    if (battle) setTitle(`Battle ${battle.format} · ${STATUS_WORDS[battle.status].split(":")[0]}`);
    else if (missing) setTitle("Battle not found");
  }, [battle?.format, battle?.status, missing]);

  if (missing) {
    return (
      <section class="page">
        <h1>Battle not found</h1>
        <p class="panel notice">{missing}</p>
        <a href="/battles" class="btn">All battles</a>
      </section>
    );
  }
  if (!battle) return <section class="page"><p class="muted">Loading battle…</p></section>;

  const now = serverNow();
  const landed = landedRounds(battle, now);
  const spinning = battle.revealed.find((r) => !landed.includes(r)) ?? null;
  const totals = shownTotals(battle, now);
  const leader = battle.winner ? null : leadingTeam(battle, now);
  const mySeat = user ? (battle.seats.find((s) => s.occupant?.userId === user.id)?.seat ?? null) : null;
  const isCreator = user?.id === battle.creator.id;
  const waiting = battle.status === "waiting";
  // The winner is announced with the last round's reels at rest (finishAt), never before.
  const announced = battle.winner !== null && landed.length === battle.revealed.length;
  const roundNo = spinning?.round ?? landed[landed.length - 1]?.round ?? 0;

  const act = (key: "join" | "bots" | "cancel", job: () => Promise<{ battle: BattleState }>, done: string) =>
    run(
      key,
      async () => {
        setActionError(null);
        const res = await job();
        offset.current = res.battle.serverTime - Date.now();
        setBattle((held) => takeSnapshot(held, res.battle));
        toast(done, "success");
      },
      (err) => {
        if (err instanceof ApiError && err.code === "insufficient_balance") void refreshMe();
        setActionError(err instanceof Error ? err.message : String(err));
      },
    );
  const join = user && mySeat === null && waiting ? (seat: number) => void act("join", () => api.joinBattle(id, { seat, clientSeed }), `You took seat ${seat}.`) : null;

  return (
    <section class="page battle-room" data-battle-id={battle.id} data-status={battle.status} data-round={roundNo}>
      <a href="/battles" class="back">← All battles</a>
      <div class="page-head">
        <h1>
          Case battle · {battle.format} · {MODE_WORDS[battle.mode].name}
        </h1>
        <span class={`badge status-${battle.status}`} data-testid="battle-status">
          {STATUS_WORDS[battle.status]}
        </span>
      </div>
      <p class="muted">
        {MODE_WORDS[battle.mode].rule} Entry {formatCents(battle.entry)} per seat, {battle.rounds.length} round{battle.rounds.length === 1 ? "" : "s"}. Created by{" "}
        {battle.creator.displayName}.{mySeat === null && " You are watching: everyone with the link sees the same reels at the same time."}
        {socket && socket !== "open" && <span class="badge badge-off"> Room {socket}…</span>}
      </p>

      {battle.private && <ShareLink id={battle.id} />}

      {waiting && (
        <div class="panel battle-actions">
          <p>
            {battle.seatsTaken} of {battle.seatCount} seats taken. The battle starts when the last seat fills
            {isCreator ? ", or fill the empty seats with bots (the house pays for them)." : "."} Unfilled, it is cancelled with full refunds at{" "}
            {new Date(battle.expiresAt - offset.current).toLocaleTimeString()}.
          </p>
          {join && (
            <Field id="join-client-seed" label="Your client seed for the seat you take" hint="Made in your browser; part of every roll of the battle.">
              <input id="join-client-seed" class="mono" value={clientSeed} onInput={(e) => setClientSeed(e.currentTarget.value)} />
            </Field>
          )}
          {!user && (
            <p>
              <a href="/login">Log in</a> to take a seat.
            </p>
          )}
          {isCreator && (
            <div class="actions">
              <button type="button" class="btn btn-primary" data-testid="fill-bots" disabled={busy} onClick={() => void act("bots", () => api.fillWithBots(id), "Bots took the empty seats.")}>
                {busyKey === "bots" ? "Filling…" : "Fill with bots"}
              </button>
              <button type="button" class="btn btn-danger" data-testid="cancel-battle" disabled={busy} onClick={() => void act("cancel", () => api.cancelBattle(id), "Battle cancelled, entries refunded.")}>
                {busyKey === "cancel" ? "Cancelling…" : "Cancel battle"}
              </button>
            </div>
          )}
          {actionError && (
            <p class="form-error" role="alert" data-testid="battle-action-error">
              {actionError}
            </p>
          )}
        </div>
      )}

      {(battle.status === "cancelled" || battle.status === "expired") && <p class="panel notice" role="status">{STATUS_WORDS[battle.status]}.</p>}

      <div class="round-strip" aria-label="Rounds">
        <ol>
          {battle.rounds.map((r) => (
            <li key={r.round} class={r.round === roundNo ? "current" : r.round < roundNo ? "done" : ""} aria-current={r.round === roundNo ? "step" : undefined}>
              <img src={r.imageUrl ?? "/img/case-starter.svg"} alt="" width={40} height={30} />
              <span class="small">
                {r.round}. {r.name}
              </span>
            </li>
          ))}
        </ol>
        <p class="sr-only" aria-live="polite" data-testid="round-announcer">
          {landed.length > 0 &&
            `Round ${landed[landed.length - 1]?.round}: ${(landed[landed.length - 1]?.results ?? [])
              .map((r) => `${seatName(battle.seats.find((s) => s.seat === r.seat) ?? { seat: r.seat, team: 0, occupant: null })} won ${r.item.name}, ${formatCents(r.item.value)}`)
              .join("; ")}.`}
        </p>
      </div>

      {announced && <WinnerBanner battle={battle} mySeat={mySeat} />}

      <div class={`battle-grid seats-${battle.seatCount}${battle.format === "2v2" ? " teams" : ""}`} data-testid="battle-grid">
        {battle.seats.map((seat) => (
          <SeatColumn
            key={seat.seat}
            battle={battle}
            seat={seat}
            total={totals.get(seat.seat) ?? 0}
            landed={landed}
            spinning={spinning}
            leading={leader !== null && seat.team === leader}
            winner={announced && (battle.winner?.seats.includes(seat.seat) ?? false)}
            mine={seat.seat === mySeat}
            serverNow={serverNow}
            join={join}
            busy={busy}
          />
        ))}
      </div>

      {announced && <Awards battle={battle} />}
      <div class="two-col">
        <FairnessData battle={battle} />
        {battle.status === "finished" && announced ? (
          <BattleVerifier battle={battle} />
        ) : (
          <div class="panel">
            <h2>Verify this battle</h2>
            <p class="muted">Once the battle ends the server seed is revealed and every roll can be recomputed here in your browser.</p>
          </div>
        )}
      </div>
    </section>
  );
}
