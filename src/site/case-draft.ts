/**
 * The admin case form as typed (strings, so half-typed amounts survive), and its conversions to
 * and from the API. Amounts are parsed to integer cents; what the browser cannot read becomes a
 * field error under the same path the server would use (`items.2.value`).
 */
import { economicsOf, oddsOf } from "../features/cases/odds";
import { centsToInput, parseCents } from "./money";
import { RARITIES, type AdminCaseDetail, type CaseInput, type Rarity } from "./types";

export interface ItemDraft {
  /** Stable render key; the item's server id (if any) is `id`. */
  key: number;
  id?: string;
  name: string;
  imageUrl: string;
  rarity: Rarity;
  value: string;
  kind: "skin" | "money";
  weight: string;
}

export interface CaseDraft {
  name: string;
  slug: string;
  imageUrl: string;
  price: string;
  /** A free case: price 0, opened once per cooldown by each player. */
  free: boolean;
  cooldownHours: string;
  active: boolean;
  items: ItemDraft[];
}

export type FieldErrors = Record<string, string>;

let nextKey = 1;

export const blankItem = (): ItemDraft => ({ key: nextKey++, name: "", imageUrl: "/img/skin.svg", rarity: "consumer", value: "0.10", kind: "skin", weight: "100" });

export const blankCase = (): CaseDraft => ({ name: "", slug: "", imageUrl: "/img/case-starter.svg", price: "1.00", free: false, cooldownHours: "24", active: true, items: [blankItem()] });

export function toDraft(c: AdminCaseDetail): CaseDraft {
  return {
    name: c.name,
    slug: c.slug,
    imageUrl: c.imageUrl ?? "",
    price: centsToInput(c.price),
    free: c.free,
    cooldownHours: String((c.freeCooldownSeconds ?? 86_400) / 3600),
    active: c.active,
    items: c.items.map((i) => ({
      key: nextKey++,
      id: i.id,
      name: i.name,
      imageUrl: i.imageUrl ?? "",
      rarity: RARITIES.find((r) => r === i.rarity) ?? "consumer",
      value: centsToInput(i.value),
      kind: i.kind,
      weight: String(i.weight),
    })),
  };
}

export const slugify = (name: string) =>
  name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);

const NUMBER = /^-?\d+(\.\d+)?$/;
// A fractional or zero weight is sent as typed: the server's message says what is wrong with it.
const weightOf = (text: string) => (NUMBER.test(text.trim()) ? Number(text.trim()) : null);
const usableWeight = (text: string) => {
  const w = weightOf(text);
  return w !== null && Number.isSafeInteger(w) && w > 0 ? w : 0;
};

/** Chances, EV and RTP of the form as it stands, with the server's own formulas. */
export function previewOf(draft: CaseDraft) {
  const weights = draft.items.map((i) => usableWeight(i.weight));
  const economics = economicsOf(
    draft.items.map((i, n) => ({ value: parseCents(i.value) ?? 0, weight: weights[n] ?? 0 })),
    parseCents(draft.price) ?? 0,
  );
  return { odds: oddsOf(weights), ...economics };
}

/** The API body, or the fields the browser could not read. */
export function toInput(draft: CaseDraft): { input: CaseInput | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const price = draft.free ? 0 : parseCents(draft.price);
  if (price === null) errors.price = "Enter an amount like 2.50";
  const cooldown = NUMBER.test(draft.cooldownHours.trim()) ? Math.round(Number(draft.cooldownHours.trim()) * 3600) : null;
  if (draft.free && cooldown === null) errors.freeCooldownSeconds = "Enter a number of hours, like 24";
  const items = draft.items.map((item, i) => {
    const value = parseCents(item.value);
    if (value === null) errors[`items.${i}.value`] = "Enter an amount like 0.25";
    const weight = weightOf(item.weight);
    if (weight === null) errors[`items.${i}.weight`] = "Enter a whole number";
    return {
      ...(item.id ? { id: item.id } : {}),
      name: item.name,
      imageUrl: item.imageUrl.trim() || null,
      rarity: item.rarity,
      value: value ?? 0,
      kind: item.kind,
      weight: weight ?? 0,
    };
  });
  if (price === null || Object.keys(errors).length) return { input: null, errors };
  const free = draft.free ? { free: true, freeCooldownSeconds: cooldown ?? 0 } : { free: false };
  return { input: { name: draft.name, slug: draft.slug, imageUrl: draft.imageUrl.trim() || null, price, ...free, active: draft.active, items }, errors };
}

const ITEM_FIELDS = ["name", "kind", "rarity", "value", "weight", "imageUrl"] as const;

/** Every path the form can show an error under; server issues elsewhere go to the summary. */
export function fieldPaths(draft: CaseDraft): Set<string> {
  const paths = new Set(["name", "slug", "price", "freeCooldownSeconds", "imageUrl", "items"]);
  draft.items.forEach((_, i) => ITEM_FIELDS.forEach((f) => paths.add(`items.${i}.${f}`)));
  return paths;
}
