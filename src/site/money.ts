/**
 * Money on the site is integer cents, as on the wire. Formatting and parsing use integer
 * math only: a float never touches an amount.
 */

const grouping = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 12345 -> "123.45 €", -5 -> "-0.05 €". */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const fraction = String(abs % 100).padStart(2, "0");
  return `${sign}${grouping.format(whole)}.${fraction} €`;
}

/** Like formatCents with an explicit "+" for credits (ledger deltas). */
export function formatDelta(cents: number): string {
  return cents > 0 ? `+${formatCents(cents)}` : formatCents(cents);
}

const AMOUNT = /^([+-]?)(\d{1,9})(?:[.,](\d{1,2}))?$/;

/** "2.5" -> 250, "-1,05" -> -105, "3" -> 300; null when the text is not an amount. */
export function parseCents(text: string): number | null {
  const match = AMOUNT.exec(text.trim().replace(/\s*€$/, ""));
  if (!match) return null;
  const [, sign, whole = "0", fraction = ""] = match;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  return sign === "-" ? -cents : cents;
}

/** Cents as an editable amount without the currency: 250 -> "2.50". */
export function centsToInput(cents: number): string {
  return formatCents(cents).replace(/ €$/, "").replace(/,/g, "");
}
