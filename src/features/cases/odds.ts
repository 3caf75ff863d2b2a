/**
 * Odds disclosure. Chances come from integer weights; the rounded percentages are
 * distributed by largest remainder so that, as shown, they add up to exactly 100%.
 */

const PERCENT_DECIMALS = 4;
const SCALE = 100 * 10 ** PERCENT_DECIMALS; // 100% in units of 0.0001%

export interface ItemOdds {
  /** Exact probability, weight / totalWeight. */
  chance: number;
  /** Rounded percentage as a string with 4 decimals; the strings of one case sum to "100.0000". */
  chancePercent: string;
}

export function oddsOf(weights: readonly number[]): { totalWeight: number; items: ItemOdds[] } {
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  if (totalWeight <= 0) return { totalWeight, items: [] };
  const exact = weights.map((w) => (w * SCALE) / totalWeight);
  const units = exact.map(Math.floor);
  let missing = SCALE - units.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (missing <= 0) break;
    units[i] = (units[i] ?? 0) + 1;
    missing--;
  }
  return {
    totalWeight,
    items: weights.map((w, i) => ({
      chance: w / totalWeight,
      chancePercent: formatUnits(units[i] ?? 0),
    })),
  };
}

function formatUnits(units: number): string {
  const whole = Math.floor(units / 10 ** PERCENT_DECIMALS);
  const fraction = String(units % 10 ** PERCENT_DECIMALS).padStart(PERCENT_DECIMALS, "0");
  return `${whole}.${fraction}`;
}

/** Expected value of one opening in cents (rounded), and the return to player as a percentage of the price. */
export function economicsOf(items: readonly { value: number; weight: number }[], price: number): { expectedValue: number; rtpPercent: number } {
  const totalWeight = items.reduce((a, b) => a + b.weight, 0);
  if (totalWeight <= 0 || price <= 0) return { expectedValue: 0, rtpPercent: 0 };
  const ev = items.reduce((sum, it) => sum + it.value * it.weight, 0) / totalWeight;
  return { expectedValue: Math.round(ev), rtpPercent: Math.round((ev / price) * 10_000) / 100 };
}
