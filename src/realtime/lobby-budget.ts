/**
 * The lobby's sizing rules, from measured costs (BENCHMARKS.md, "Capacity model"). Every number the
 * elastic shards and the ticker's frame rate are derived from lives here, so the model script
 * (bench/model) and the code read the same figures.
 */

/** Measured cost of one socket send in a shard's loop, µs (25–30 locally; re-measure on Cloudflare). */
export const SEND_US = 30;
/** A shard's send loop should reach all its sockets within this (one frame, one shard). */
export const SHARD_FRAME_MS = 60;
/**
 * Sockets per shard: one frame to all of them fits SHARD_FRAME_MS at SEND_US, so at the ticker's
 * fastest rate (4 frames a second) a full shard spends ≈ 24 % of its CPU on the ticker.
 */
export const SHARD_TARGET_SOCKETS = Math.floor((SHARD_FRAME_MS * 1000) / SEND_US);
/** New shards open once the lobby's average shard is this full, so a connect storm has room. */
export const SHARD_FILL = 0.75;

/** The ticker's fastest rate: one frame per window. */
export const MIN_FRAME_MS = 250;
/** …and its slowest: however big the lobby, the feed still moves. */
export const MAX_FRAME_MS = 2_000;
/** Share of one shard's CPU the ticker may use (frames × sockets × SEND_US). */
export const SHARD_TICKER_BUDGET = 0.25;
/** Broadcaster CPU for one shard's RPC per frame, ms (assumed; re-measure on Cloudflare). */
export const RPC_DISPATCH_MS = 0.1;
/** Share of the broadcaster's CPU its per-frame fan-out RPCs may use. */
export const BROADCASTER_BUDGET = 0.25;

/** Shards the lobby needs for `sockets` (at least `min`). */
export function shardsFor(sockets: number, target: number, min = 1): number {
  return Math.max(min, Math.ceil(sockets / (target * SHARD_FILL)));
}

/**
 * The ticker's window for a lobby of `shards` shards whose fullest holds `largest` sockets: the
 * fastest rate whose send loops stay within SHARD_TICKER_BUDGET of a shard and whose RPCs stay
 * within BROADCASTER_BUDGET of the broadcaster. Fewer frames, each carrying more drops.
 */
export function frameWindowMs(shards: number, largest: number): number {
  const shardBound = (largest * SEND_US) / 1000 / SHARD_TICKER_BUDGET;
  const broadcasterBound = (shards * RPC_DISPATCH_MS) / BROADCASTER_BUDGET;
  return Math.round(Math.min(MAX_FRAME_MS, Math.max(MIN_FRAME_MS, shardBound, broadcasterBound)));
}

/** A numeric override from the environment (absent in wrangler.toml by default), or null. */
export function numericVar(env: Env, name: string): number | null {
  const raw: unknown = Reflect.get(env, name);
  if (typeof raw !== "string" || raw.trim() === "") return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

/** Sockets per shard: LOBBY_SHARD_SOCKETS when set (tests use a tiny one), else the measured target. */
export function shardTarget(env: Env): number {
  return numericVar(env, "LOBBY_SHARD_SOCKETS") ?? SHARD_TARGET_SOCKETS;
}

/** LOBBY_SHARDS, once a fixed count, is now a floor: the lobby never runs on fewer shards. */
export function minShards(env: Env): number {
  return numericVar(env, "LOBBY_SHARDS") ?? 1;
}
