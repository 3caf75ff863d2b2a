import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { UPGRADE_ROLL_RANGE } from "../../fairness/verify";
import { formatChance, UPGRADE_REVEAL_MS } from "../../features/upgrader/rules";

const TURNS = 5;
const REDUCED_MS = 700;

export interface DialSpin {
  id: string;
  roll: number;
  won: boolean;
}

/**
 * The chance as a slice of a circle, starting at twelve o'clock: the pointer spins clockwise to
 * the server's roll (roll / 1,000,000 of a turn) and stops inside the slice exactly when it won.
 * The browser only draws; the outcome is the response's.
 */
export function UpgradeDial({ chance, spin, onDone }: { chance: number | null; spin: DialSpin | null; onDone: () => void }) {
  const reduced = useMemo(() => window.matchMedia("(prefers-reduced-motion: reduce)").matches, []);
  const [angle, setAngle] = useState(0);
  const [moving, setMoving] = useState(false);
  const [skip, setSkip] = useState(false);
  const [stopped, setStopped] = useState<DialSpin | null>(null);
  const finished = useRef<string | null>(null);
  const duration = reduced ? REDUCED_MS : UPGRADE_REVEAL_MS;

  useEffect(() => {
    if (!spin) return;
    setStopped(null);
    setSkip(false);
    // Always forward from where it rests: whole turns, then the roll's place on the circle.
    const frame = requestAnimationFrame(() => {
      setMoving(true);
      setAngle((from) => (Math.floor(from / 360) + TURNS) * 360 + (spin.roll * 360) / UPGRADE_ROLL_RANGE);
    });
    // transitionend does not fire in a hidden tab; the timer makes sure the result still shows.
    const timer = setTimeout(() => finish(spin), duration + 400);
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [spin?.id]);

  const finish = (which: DialSpin | null) => {
    if (!which || finished.current === which.id) return;
    finished.current = which.id;
    setMoving(false);
    setStopped(which);
    onDone();
  };

  const slice = chance === null ? 0 : chance / 100;
  const state = stopped ? (stopped.won ? "won" : "lost") : moving ? "spinning" : "idle";
  return (
    <div class="dial-wrap">
      <div
        class={`dial dial-${state}`}
        data-testid="dial"
        data-state={state}
        role="img"
        aria-label={chance === null ? "Pick skins and a target to see the chance" : `Chance to win: ${formatChance(chance)}`}
        style={{ background: `conic-gradient(var(--dial-win) 0 ${slice}%, var(--dial-lose) ${slice}% 100%)` }}
      >
        <div
          class="dial-pointer"
          data-testid="dial-pointer"
          style={{ transform: `rotate(${angle}deg)`, transition: skip || !moving ? "none" : `transform ${duration}ms cubic-bezier(0.12, 0.7, 0.12, 1)` }}
          onTransitionEnd={(e) => e.target === e.currentTarget && finish(spin)}
        />
        <div class="dial-face">
          {stopped ? <strong>{stopped.won ? "Won" : "Lost"}</strong> : <strong>{chance === null ? "–" : formatChance(chance)}</strong>}
          <span class="small muted">{stopped ? `roll ${stopped.roll.toLocaleString("en-US")}` : "chance"}</span>
        </div>
      </div>
      {moving && !skip && (
        <button
          type="button"
          class="btn btn-ghost btn-small"
          onClick={() => {
            setSkip(true);
            requestAnimationFrame(() => finish(spin));
          }}
        >
          Skip animation
        </button>
      )}
    </div>
  );
}
