import { signal } from "@preact/signals";

/**
 * Money on the site is integer cents, as on the wire, shown with Intl.NumberFormat in the
 * server's currency (the CURRENCY var, sent with GET /api/cases). Parsing uses integer math
 * only: a float never touches an amount. Every amount on screen goes through `formatCents`.
 */

/** ISO 4217 code; "EUR" (the default deployment's) until the catalogue has answered. */
export const currency = signal("EUR");

/** One locale for every amount, so a page never mixes "1,234.50" and "1.234,50". */
const LOCALE = "en-US";
const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(code: string): Intl.NumberFormat {
  let formatter = formatters.get(code);
  if (!formatter) {
    try {
      formatter = new Intl.NumberFormat(LOCALE, { style: "currency", currency: code, minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch {
      // A code Intl does not know: still two decimals, with the code beside them.
      formatter = new Intl.NumberFormat(LOCALE, { style: "currency", currency: "XXX", currencyDisplay: "code", minimumFractionDigits: 2 });
    }
    formatters.set(code, formatter);
  }
  return formatter;
}

/**
 * 12345 -> "€123.45", -5 -> "-€0.05" (EUR). The formatter lays out the whole units (an integer,
 * exact as a number) and the cents are put in as digits: no float between the cents and the text.
 */
export function formatCents(cents: number, code: string = currency.value): string {
  const abs = Math.abs(cents);
  const cent = String(abs % 100).padStart(2, "0");
  const text = formatterFor(code)
    .formatToParts(Math.floor(abs / 100))
    .map((part) => (part.type === "fraction" ? cent : part.value))
    .join("");
  return cents < 0 ? `-${text}` : text;
}

/** Like formatCents with an explicit "+" for credits (ledger deltas). */
export function formatDelta(cents: number, code: string = currency.value): string {
  return cents > 0 ? `+${formatCents(cents, code)}` : formatCents(cents, code);
}

/** The currency's symbol alone ("€", "$"), for labels such as "Price (€)". */
export function currencySymbol(code: string = currency.value): string {
  return formatterFor(code).formatToParts(0).find((part) => part.type === "currency")?.value ?? code;
}

const AMOUNT = /^([+-]?)(\d{1,9})(?:[.,](\d{1,2}))?$/;

/** "2.5" -> 250, "-1,05" -> -105, "3" -> 300; null when the text is not an amount. A currency sign around it is ignored. */
export function parseCents(text: string): number | null {
  const match = AMOUNT.exec(text.replace(/[\s\p{Sc}]/gu, ""));
  if (!match) return null;
  const [, sign, whole = "0", fraction = ""] = match;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  return sign === "-" ? -cents : cents;
}

/** Cents as an editable amount without the currency or grouping: 250 -> "2.50". */
export function centsToInput(cents: number): string {
  const abs = Math.abs(cents);
  return `${cents < 0 ? "-" : ""}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}
