export interface BattleConfig {
  /** A waiting battle nobody completes is cancelled with full refunds after this long. */
  expiryMs: number;
  /** One round every this many milliseconds, for every watcher at the same time. */
  roundMs: number;
}

const DEFAULT_EXPIRY_SECONDS = 600;
const DEFAULT_ROUND_MS = 4_000;
const WHOLE = /^\d{1,9}$/;

function whole(name: string, raw: string | undefined, fallback: number, min: number): number {
  const text = raw?.trim() ?? "";
  if (text === "") return fallback;
  // A malformed value is a deployment mistake: refuse to run battles on a clock nobody configured.
  if (!WHOLE.test(text) || Number(text) < min) throw new Error(`${name} must be a whole number of at least ${min}, not "${raw}"`);
  return Number(text);
}

/** BATTLE_EXPIRY_SECONDS and BATTLE_ROUND_MS from [vars]. */
export function battleConfig(env: { BATTLE_EXPIRY_SECONDS?: string; BATTLE_ROUND_MS?: string }): BattleConfig {
  return {
    expiryMs: whole("BATTLE_EXPIRY_SECONDS", env.BATTLE_EXPIRY_SECONDS, DEFAULT_EXPIRY_SECONDS, 1) * 1_000,
    roundMs: whole("BATTLE_ROUND_MS", env.BATTLE_ROUND_MS, DEFAULT_ROUND_MS, 50),
  };
}
