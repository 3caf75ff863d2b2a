import { useEffect, useMemo, useState } from "preact/hooks";
import { economicsOf, oddsOf } from "../../features/cases/odds";
import { api, ApiError, describeError } from "../api";
import { Field } from "../components/field";
import { formatChance, RARITY_LABEL } from "../components/item-card";
import { centsToInput, formatCents, parseCents } from "../money";
import { navigate } from "../router";
import { toast } from "../state";
import { RARITIES, type AdminCaseDetail, type CaseInput, type Rarity } from "../types";
import { AdminTabs } from "./admin-cases";

interface ItemDraft {
  key: number;
  id?: string;
  name: string;
  imageUrl: string;
  rarity: Rarity;
  value: string;
  kind: "skin" | "money";
  weight: string;
}

interface CaseDraft {
  name: string;
  slug: string;
  imageUrl: string;
  price: string;
  active: boolean;
  items: ItemDraft[];
}

let nextKey = 1;
const blankItem = (): ItemDraft => ({ key: nextKey++, name: "", imageUrl: "/img/skin.svg", rarity: "consumer", value: "0.10", kind: "skin", weight: "100" });
const BLANK: CaseDraft = { name: "", slug: "", imageUrl: "/img/case-starter.svg", price: "1.00", active: true, items: [blankItem()] };

function toDraft(c: AdminCaseDetail): CaseDraft {
  return {
    name: c.name,
    slug: c.slug,
    imageUrl: c.imageUrl ?? "",
    price: centsToInput(c.price),
    active: c.active,
    items: c.items.map((i) => ({
      key: nextKey++,
      id: i.id,
      name: i.name,
      imageUrl: i.imageUrl ?? "",
      rarity: RARITIES.includes(i.rarity as Rarity) ? (i.rarity as Rarity) : "consumer",
      value: centsToInput(i.value),
      kind: i.kind,
      weight: String(i.weight),
    })),
  };
}

const slugify = (name: string) =>
  name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);

const WHOLE = /^-?\d+(\.\d+)?$/;
const weightOf = (text: string) => (WHOLE.test(text.trim()) ? Number(text.trim()) : null);
const usableWeight = (text: string) => {
  const w = weightOf(text);
  return w !== null && Number.isSafeInteger(w) && w > 0 ? w : 0;
};

/** Turns the form into the API body; amounts the browser cannot read become field errors. */
function toInput(draft: CaseDraft): { input: CaseInput | null; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const price = parseCents(draft.price);
  if (price === null) errors.price = "Enter an amount like 2.50";
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
  if (Object.keys(errors).length) return { input: null, errors };
  return {
    input: { name: draft.name, slug: draft.slug, imageUrl: draft.imageUrl.trim() || null, price: price ?? 0, active: draft.active, items },
    errors,
  };
}

export function CaseEditor({ id }: { id: string | null }) {
  const [draft, setDraft] = useState<CaseDraft | null>(id ? null : BLANK);
  const [slugTouched, setSlugTouched] = useState(id !== null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!id) {
      setDraft({ ...BLANK, items: [blankItem()] });
      return;
    }
    api.adminCase(id).then(
      (r) => setDraft(toDraft(r.case)),
      (err) => setFormError(describeError(err)),
    );
  }, [id]);

  const preview = useMemo(() => {
    if (!draft) return null;
    const weights = draft.items.map((i) => usableWeight(i.weight));
    const odds = oddsOf(weights);
    const economics = economicsOf(
      draft.items.map((i, n) => ({ value: parseCents(i.value) ?? 0, weight: weights[n] ?? 0 })),
      parseCents(draft.price) ?? 0,
    );
    return { odds, ...economics };
  }, [draft]);

  if (!draft) {
    return <section class="page">{formError ? <p class="form-error">{formError}</p> : <p class="muted">Loading case…</p>}</section>;
  }

  const patch = (change: Partial<CaseDraft>) => setDraft({ ...draft, ...change });
  const patchItem = (index: number, change: Partial<ItemDraft>) =>
    setDraft({ ...draft, items: draft.items.map((item, i) => (i === index ? { ...item, ...change } : item)) });
  const move = (index: number, by: -1 | 1) => {
    const items = [...draft.items];
    const [item] = items.splice(index, 1);
    if (!item) return;
    items.splice(index + by, 0, item);
    setDraft({ ...draft, items });
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setFormError(null);
    const { input, errors: local } = toInput(draft);
    setErrors(local);
    if (!input) {
      setFormError("Some fields need fixing.");
      return;
    }
    setBusy(true);
    try {
      const res = id ? await api.updateCase(id, input) : await api.createCase(input);
      toast(`Saved ${res.case.name}. Players see it now.`, "success");
      if (!id) navigate(`/admin/cases/${res.case.id}`, { replace: true });
      else setDraft(toDraft(res.case));
    } catch (err) {
      if (err instanceof ApiError) {
        const fieldErrors: Record<string, string> = Object.fromEntries(err.issues.map((i) => [i.path, i.message]));
        if (err.code === "slug_taken") fieldErrors.slug = err.message;
        setErrors(fieldErrors);
        const unplaced = err.issues.filter((i) => !fieldPaths(draft).has(i.path)).map((i) => `${i.path}: ${i.message}.`);
        const summary = err.issues.length > 0 ? "The server refused some fields: see the messages next to them." : err.message;
        setFormError([summary, ...unplaced].join(" "));
      } else setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const e = (path: string) => errors[path];
  return (
    <section class="page">
      <div class="page-head">
        <h1>{id ? `Edit ${draft.name || "case"}` : "New case"}</h1>
        <AdminTabs current="cases" />
      </div>
      <form class="editor" onSubmit={save} noValidate data-testid="case-editor">
        {formError && (
          <p class="form-error" role="alert">
            {formError}
          </p>
        )}
        <div class="panel editor-grid">
          <Field id="name" label="Name" error={e("name")}>
            <input id="name" value={draft.name} onInput={(ev) => {
              const name = ev.currentTarget.value;
              patch(slugTouched ? { name } : { name, slug: slugify(name) });
            }} />
          </Field>
          <Field id="slug" label="Slug (URL)" error={e("slug")}>
            <input id="slug" class="mono" value={draft.slug} onInput={(ev) => (setSlugTouched(true), patch({ slug: ev.currentTarget.value }))} />
          </Field>
          <Field id="price" label="Price (€)" error={e("price")}>
            <input id="price" inputMode="decimal" value={draft.price} onInput={(ev) => patch({ price: ev.currentTarget.value })} />
          </Field>
          <Field id="imageUrl" label="Image URL" error={e("imageUrl")}>
            <input id="imageUrl" value={draft.imageUrl} onInput={(ev) => patch({ imageUrl: ev.currentTarget.value })} />
          </Field>
          <label class="check">
            <input type="checkbox" checked={draft.active} onChange={(ev) => patch({ active: ev.currentTarget.checked })} /> Live for players
          </label>
        </div>

        {preview && (
          <div class="panel stats" aria-live="polite" data-testid="editor-stats">
            <div>
              <span class="stat-label">Total weight</span>
              <span class="stat" data-testid="total-weight">{preview.odds.totalWeight}</span>
            </div>
            <div>
              <span class="stat-label">Expected value</span>
              <span class="stat" data-testid="expected-value">{formatCents(preview.expectedValue)}</span>
            </div>
            <div>
              <span class="stat-label">Return to player</span>
              <span class={`stat ${preview.rtpPercent > 100 ? "neg" : ""}`} data-testid="rtp">{preview.rtpPercent.toFixed(2)} %</span>
            </div>
          </div>
        )}

        <h2 class="section-title">Items {e("items") && <small class="field-error" role="alert">{e("items")}</small>}</h2>
        <ol class="editor-items">
          {draft.items.map((item, i) => {
            const p = `items.${i}`;
            const chance = preview?.odds.items[i]?.chancePercent;
            return (
              <li key={item.key} class={`panel editor-item rarity-${item.rarity}`} data-item-index={i}>
                <div class="editor-item-head">
                  <strong>#{i + 1}</strong>
                  <span class="chance" data-testid={`chance-${i}`}>{chance ? formatChance(chance) : "—"}</span>
                  <span class="spacer" />
                  <button type="button" class="btn btn-small" aria-label={`Move item ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>↑</button>
                  <button type="button" class="btn btn-small" aria-label={`Move item ${i + 1} down`} disabled={i === draft.items.length - 1} onClick={() => move(i, 1)}>↓</button>
                  <button type="button" class="btn btn-small btn-danger" aria-label={`Remove item ${i + 1}`} disabled={draft.items.length === 1} onClick={() => setDraft({ ...draft, items: draft.items.filter((_, n) => n !== i) })}>✕</button>
                </div>
                <div class="editor-item-grid">
                  <Field id={`${p}.name`} label="Name" error={e(`${p}.name`)}>
                    <input id={`${p}.name`} value={item.name} onInput={(ev) => patchItem(i, { name: ev.currentTarget.value })} />
                  </Field>
                  <Field id={`${p}.kind`} label="Kind" error={e(`${p}.kind`)}>
                    <select id={`${p}.kind`} value={item.kind} onChange={(ev) => {
                      const kind = ev.currentTarget.value === "money" ? "money" : "skin";
                      const stock = !item.imageUrl || item.imageUrl === "/img/skin.svg" || item.imageUrl === "/img/cash.svg";
                      patchItem(i, { kind, imageUrl: stock ? (kind === "money" ? "/img/cash.svg" : "/img/skin.svg") : item.imageUrl });
                    }}>
                      <option value="skin">Skin (sold back)</option>
                      <option value="money">Cash (claimed)</option>
                    </select>
                  </Field>
                  <Field id={`${p}.rarity`} label="Rarity" error={e(`${p}.rarity`)}>
                    <select id={`${p}.rarity`} value={item.rarity} onChange={(ev) => patchItem(i, { rarity: RARITIES.find((r) => r === ev.currentTarget.value) ?? "consumer" })}>
                      {RARITIES.map((r) => (
                        <option key={r} value={r}>{RARITY_LABEL[r]}</option>
                      ))}
                    </select>
                  </Field>
                  <Field id={`${p}.value`} label="Value (€)" error={e(`${p}.value`)}>
                    <input id={`${p}.value`} inputMode="decimal" value={item.value} onInput={(ev) => patchItem(i, { value: ev.currentTarget.value })} />
                  </Field>
                  <Field id={`${p}.weight`} label="Weight" error={e(`${p}.weight`)}>
                    <input id={`${p}.weight`} inputMode="numeric" value={item.weight} onInput={(ev) => patchItem(i, { weight: ev.currentTarget.value })} />
                  </Field>
                  <Field id={`${p}.imageUrl`} label="Image URL" error={e(`${p}.imageUrl`)}>
                    <input id={`${p}.imageUrl`} value={item.imageUrl} onInput={(ev) => patchItem(i, { imageUrl: ev.currentTarget.value })} />
                  </Field>
                </div>
              </li>
            );
          })}
        </ol>
        <div class="editor-actions">
          <button type="button" class="btn" onClick={() => setDraft({ ...draft, items: [...draft.items, blankItem()] })}>
            + Add item
          </button>
          <span class="spacer" />
          <a href="/admin" class="btn btn-ghost">Back</a>
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="save-case">
            {busy ? "Saving…" : id ? "Save changes" : "Create case"}
          </button>
        </div>
      </form>
    </section>
  );
}

function fieldPaths(draft: CaseDraft): Set<string> {
  const paths = new Set(["name", "slug", "price", "imageUrl", "items"]);
  draft.items.forEach((_, i) => ["name", "kind", "rarity", "value", "weight", "imageUrl"].forEach((f) => paths.add(`items.${i}.${f}`)));
  return paths;
}
