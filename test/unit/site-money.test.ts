// The site's money helpers: integer cents in, integer cents out, never a float in between.
import { describe, expect, it } from "vitest";
import { centsToInput, currency, currencySymbol, formatCents, formatDelta, parseCents } from "../../src/site/money";

describe("site money helpers", () => {
  it("formats cents with Intl.NumberFormat in the server's currency: two decimals, grouping, exact", () => {
    expect(formatCents(12345)).toBe("€123.45");
    expect(formatCents(5)).toBe("€0.05");
    expect(formatCents(0)).toBe("€0.00");
    expect(formatCents(-250)).toBe("-€2.50");
    expect(formatCents(123456789)).toBe("€1,234,567.89");
    // Beyond a float's exact cents (2^53 / 100): the digits are the integer's, not a rounded double.
    expect(formatCents(900719925474099)).toBe("€9,007,199,254,740.99");
    expect(formatDelta(100)).toBe("+€1.00");
    expect(formatDelta(-100)).toBe("-€1.00");
    expect(formatCents(12345, "USD")).toBe("$123.45");
    expect(formatCents(12345, "GBP")).toBe("£123.45");
    expect(currencySymbol("USD")).toBe("$");
  });

  it("follows the currency signal the catalogue sets", () => {
    currency.value = "USD";
    try {
      expect(formatCents(250)).toBe("$2.50");
      expect(currencySymbol()).toBe("$");
    } finally {
      currency.value = "EUR";
    }
  });

  it("parses what people type into cents", () => {
    expect(parseCents("2.5")).toBe(250);
    expect(parseCents("2,05")).toBe(205);
    expect(parseCents("3")).toBe(300);
    expect(parseCents(" 0.10 € ")).toBe(10);
    expect(parseCents("€1.50")).toBe(150);
    expect(parseCents("-$0.05")).toBe(-5);
    expect(parseCents("-1.05")).toBe(-105);
    // 0.1 + 0.2 style float traps cannot happen: 19.99 is 1999 exactly.
    expect(parseCents("19.99")).toBe(1999);
  });

  it("refuses what is not an amount", () => {
    for (const bad of ["", "abc", "1.234", "1e3", "1.2.3", "--1", "€"]) expect(parseCents(bad)).toBeNull();
  });

  it("round-trips through the editor's input format", () => {
    for (const cents of [0, 1, 99, 100, 250, 123456789]) expect(parseCents(centsToInput(cents))).toBe(cents);
  });
});
