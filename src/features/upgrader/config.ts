import { DEFAULT_HOUSE_EDGE } from "./rules";

export interface UpgraderConfig {
  /** Basis points (UPGRADER_HOUSE_EDGE 0.05 → 500). */
  houseEdge: number;
  /** Wins worth at least this many cents appear in the public drops feed. */
  dropMinValue: number;
}

const DEFAULT_DROP_MIN_VALUE = 1_000;
// A fraction with at most four decimals, so it is a whole number of basis points: 0.05, 0.0325, 0.
const EDGE = /^0(?:\.(\d{1,4}))?$/;
const CENTS = /^\d{1,10}$/;

/**
 * The upgrader's settings from [vars], read without floats. A malformed value is a deployment
 * mistake: the upgrade fails (500, logged) rather than rolling at an edge nobody configured.
 */
export function upgraderConfig(env: { UPGRADER_HOUSE_EDGE?: string; UPGRADER_DROP_MIN_VALUE?: string }): UpgraderConfig {
  return { houseEdge: houseEdgeOf(env.UPGRADER_HOUSE_EDGE), dropMinValue: dropMinValueOf(env.UPGRADER_DROP_MIN_VALUE) };
}

function houseEdgeOf(raw: string | undefined): number {
  const text = raw?.trim() ?? "";
  if (text === "") return DEFAULT_HOUSE_EDGE;
  const match = EDGE.exec(text);
  if (!match) throw new Error(`UPGRADER_HOUSE_EDGE must be a fraction from 0 to 0.9999 with at most 4 decimals (0.05 is 5 %), not "${raw}"`);
  return Number((match[1] ?? "").padEnd(4, "0"));
}

function dropMinValueOf(raw: string | undefined): number {
  const text = raw?.trim() ?? "";
  if (text === "") return DEFAULT_DROP_MIN_VALUE;
  if (!CENTS.test(text)) throw new Error(`UPGRADER_DROP_MIN_VALUE must be a whole number of cents, not "${raw}"`);
  return Number(text);
}
