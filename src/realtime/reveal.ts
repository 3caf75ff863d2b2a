/**
 * "Decided, then revealed": the drops feed shows a win only once the opener's reel has stopped. The
 * reel spins REVEAL_MS (wrangler.toml; the site reads it from GET /api/cases/:id), so a drop is held
 * until REVEAL_MS after the Worker answered the opening, plus REVEAL_GRACE_MS.
 */
const DEFAULT_REVEAL_MS = 5_200;

/**
 * The reel starts a frame or two after the answer arrives, and the lobby socket may reach the
 * browser a little sooner than the opener's HTTP answer did: the feed errs on the late side.
 */
export const REVEAL_GRACE_MS = 500;

/** REVEAL_MS from the environment: a non-negative whole number of milliseconds, else the default. */
export function revealMs(env: Pick<Env, "REVEAL_MS">): number {
  const ms = Number(env.REVEAL_MS);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : DEFAULT_REVEAL_MS;
}

/** When a drop of an opening answered now may reach the lobby. */
export const revealAtFor = (env: Pick<Env, "REVEAL_MS">, answeredAt: number): number => answeredAt + revealMs(env) + REVEAL_GRACE_MS;
