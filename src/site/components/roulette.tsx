import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { tick } from "../sound";
import type { CaseItemView, WonItem } from "../types";
import { fallbackImage } from "./item-card";

const TILES = 52;
const WIN_INDEX = 44;
const REDUCED_MS = 700;

/** What a tile shows of an item: the won item of an opening, or a battle seat's item of a round. */
export interface Tile {
  itemId: string;
  name: string;
  imageUrl: string | null;
  rarity: string;
  kind: "skin" | "money";
}

/** A case's items with their weights (a case page's, or the revision a battle round rolls against). */
export type ReelOdds = Pick<CaseItemView, "id" | "name" | "imageUrl" | "rarity" | "kind" | "weight">;

/** Filler tiles drawn by weight so the strip looks like the case; the browser never picks the win. */
function fillerTile(items: readonly ReelOdds[], total: number): Tile {
  let ticket = Math.floor(Math.random() * total);
  for (const item of items) {
    ticket -= item.weight;
    if (ticket < 0) return { itemId: item.id, name: item.name, imageUrl: item.imageUrl, rarity: item.rarity, kind: item.kind };
  }
  const last = items[items.length - 1];
  if (!last) throw new Error("a case without items cannot be opened");
  return { itemId: last.id, name: last.name, imageUrl: last.imageUrl, rarity: last.rarity, kind: last.kind };
}

function buildStrip(items: readonly ReelOdds[], won: Tile): Tile[] {
  const total = items.reduce((sum, i) => sum + i.weight, 0);
  const tiles = Array.from({ length: TILES }, () => fillerTile(items, total));
  tiles[WIN_INDEX] = { itemId: won.itemId, name: won.name, imageUrl: won.imageUrl, rarity: won.rarity, kind: won.kind };
  return tiles;
}

export interface StripProps {
  items: readonly ReelOdds[];
  won: Tile;
  spinMs: number;
  reduced: boolean;
  skip: boolean;
  /** A tick per tile passing the marker (the player's Sound toggle). */
  sound?: boolean;
  landed: boolean;
  onStop: () => void;
  /** A column that spins top to bottom (a battle seat's reel) instead of a row. */
  vertical?: boolean;
}

/** One reel: filler tiles around the server's item, spun to rest on it in `spinMs`. */
export function Strip(props: StripProps) {
  const { items, won, spinMs, reduced, skip, sound = false, landed, onStop, vertical = false } = props;
  const tiles = useMemo(() => buildStrip(items, won), [items, won]);
  const viewport = useRef<HTMLDivElement>(null);
  const track = useRef<HTMLDivElement>(null);
  const [offset, setOffset] = useState(0);
  const [moving, setMoving] = useState(false);
  const stopped = useRef(false);
  // Where inside the winning tile the marker lands: never on its edge, so the result is unambiguous.
  const jitter = useMemo(() => Math.random() * 0.6 - 0.3, []);

  useLayoutEffect(() => {
    const view = viewport.current;
    const winner = track.current?.children[WIN_INDEX];
    if (!view || !(winner instanceof HTMLElement)) return;
    const [start, size, room] = vertical ? [winner.offsetTop, winner.offsetHeight, view.clientHeight] : [winner.offsetLeft, winner.offsetWidth, view.clientWidth];
    const centre = start + size / 2 + jitter * size;
    const frame = requestAnimationFrame(() => {
      setMoving(true);
      setOffset(room / 2 - centre);
    });
    return () => cancelAnimationFrame(frame);
  }, [jitter, vertical]);

  const duration = reduced ? Math.min(REDUCED_MS, spinMs) : spinMs;
  // A tick each time a tile passes the marker, read from where the transition has the track now.
  useEffect(() => {
    if (!moving || skip || !sound) return;
    const view = viewport.current;
    const el = track.current;
    const tile = el?.children[0];
    if (!view || !el || !(tile instanceof HTMLElement)) return;
    const style = getComputedStyle(el);
    const pitch = vertical ? tile.offsetHeight + (parseFloat(style.rowGap) || 0) : tile.offsetWidth + (parseFloat(style.columnGap) || 0);
    let passed = -1;
    let frame = requestAnimationFrame(function watch() {
      const matrix = new DOMMatrixReadOnly(getComputedStyle(el).transform);
      const under = Math.floor(((vertical ? view.clientHeight : view.clientWidth) / 2 - (vertical ? matrix.m42 : matrix.m41)) / pitch);
      if (passed >= 0 && under !== passed) tick();
      passed = under;
      if (!stopped.current) frame = requestAnimationFrame(watch);
    });
    return () => cancelAnimationFrame(frame);
  }, [moving, skip, sound, vertical]);

  useEffect(() => {
    if (!moving) return;
    if (skip) {
      // `transition: none` cancels the running transition and jumps to the end position.
      const frame = requestAnimationFrame(() => finish());
      return () => cancelAnimationFrame(frame);
    }
    // transitionend does not fire in a hidden tab; the timer makes sure the result still shows.
    const timer = setTimeout(() => finish(), duration + 400);
    return () => clearTimeout(timer);
  }, [moving, duration, skip]);

  const finish = () => {
    if (stopped.current) return;
    stopped.current = true;
    onStop();
  };

  return (
    <div class={`roulette${vertical ? " vertical" : ""}`} ref={viewport}>
      <div class="roulette-marker" aria-hidden="true" />
      <div
        class="roulette-track"
        ref={track}
        style={{
          transform: vertical ? `translate3d(0, ${offset}px, 0)` : `translate3d(${offset}px, 0, 0)`,
          transition: skip || !moving ? "none" : `transform ${duration}ms cubic-bezier(0.1, 0.75, 0.15, 1)`,
        }}
        onTransitionEnd={(e) => e.target === e.currentTarget && finish()}
      >
        {tiles.map((t, i) => (
          <div key={i} class={`roulette-tile rarity-${t.rarity}${landed && i === WIN_INDEX ? " landed" : ""}`} data-item-id={t.itemId} aria-hidden="true">
            <img src={t.imageUrl ?? fallbackImage(t.kind)} alt="" width={84} height={63} />
            <span>{t.name}</span>
          </div>
        ))}
      </div>
    </div>
  );
}

interface RouletteProps {
  /** The case's items when this spin started: an admin's edit meanwhile must not redraw the reel. */
  items: readonly CaseItemView[];
  won: readonly WonItem[];
  /** How long the strips spin: the server's REVEAL_MS, so the drops feed shows the win only after they stop. */
  spinMs: number;
  /** A demo spin (drawn in the browser): labelled as such. */
  demo?: boolean;
  /** Ticks while the strips move (the player's sound preference). */
  sound?: boolean;
  onDone: () => void;
}

/** One strip per won item; calls onDone once every strip has stopped on the server's result. */
export function Roulette({ items, won, spinMs, demo = false, sound = false, onDone }: RouletteProps) {
  const box = useRef<HTMLDivElement>(null);
  // On a phone (or under a tall header) the reels start below the fold: bring them up.
  useEffect(() => box.current?.scrollIntoView({ block: "nearest" }), []);
  const reduced = useMemo(() => window.matchMedia("(prefers-reduced-motion: reduce)").matches, []);
  const [skip, setSkip] = useState(false);
  const [done, setDone] = useState(false);
  const remaining = useRef(won.length);
  const stopOne = () => {
    remaining.current -= 1;
    if (remaining.current > 0) return;
    setDone(true);
    onDone();
  };
  const what = demo ? "Demo spin" : "Opening";
  return (
    <div
      ref={box}
      class={`roulettes${done ? " stopped" : ""}${demo ? " demo" : ""}${won.length > 1 ? " multi" : ""}`}
      data-testid="roulette"
      data-demo={demo ? "true" : undefined}
      role="group"
      aria-busy={!done}
      aria-label={done ? `${what} result` : `${what} in progress`}
    >
      {demo && <span class="badge badge-demo roulette-demo">Demo spin · not real</span>}
      {won.map((w) => (
        <Strip key={w.id} items={items} won={w} spinMs={spinMs} reduced={reduced} skip={skip} sound={sound} landed={done} onStop={stopOne} />
      ))}
      {!skip && !done && (
        <button type="button" class="btn btn-ghost btn-small skip" onClick={() => setSkip(true)}>
          Skip animation
        </button>
      )}
    </div>
  );
}
