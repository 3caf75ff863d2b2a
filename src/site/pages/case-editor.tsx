import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ApiError, describeError } from "../api";
import { Field } from "../components/field";
import { ItemEditor } from "../components/item-editor";
import { currencySymbol, formatCents } from "../money";
import { navigate } from "../router";
import { useAction } from "../hooks";
import { toast } from "../state";
import { AdminTabs } from "./admin-cases";
import { blankCase, blankItem, fieldPaths, previewOf, slugify, toDraft, toInput, type CaseDraft, type FieldErrors, type ItemDraft } from "../case-draft";

/** The server's issues under their fields; what has no field goes to the summary, in words. */
function placeServerErrors(err: ApiError, draft: CaseDraft): { fields: FieldErrors; summary: string } {
  const fields: FieldErrors = Object.fromEntries(err.issues.map((i) => [i.path, i.message]));
  if (err.code === "slug_taken") fields.slug = err.message;
  const known = fieldPaths(draft);
  const unplaced = err.issues.filter((i) => !known.has(i.path)).map((i) => `${i.path}: ${i.message}.`);
  const summary = err.issues.length > 0 ? "The server refused some fields: see the messages next to them." : err.message;
  return { fields, summary: [summary, ...unplaced].join(" ") };
}

function Stats({ preview }: { preview: ReturnType<typeof previewOf> }) {
  return (
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
  );
}

export function CaseEditor({ id }: { id: string | null }) {
  const [draft, setDraft] = useState<CaseDraft | null>(id ? null : blankCase());
  const [slugTouched, setSlugTouched] = useState(id !== null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const { busy, run } = useAction();
  const preview = useMemo(() => (draft ? previewOf(draft) : null), [draft]);

  useEffect(() => {
    if (!id) return setDraft(blankCase());
    api.adminCase(id).then(
      (r) => setDraft(toDraft(r.case)),
      (err) => setFormError(describeError(err)),
    );
  }, [id]);

  if (!draft || !preview) {
    return <section class="page">{formError ? <p class="form-error">{formError}</p> : <p class="muted">Loading case…</p>}</section>;
  }

  const patch = (change: Partial<CaseDraft>) => setDraft({ ...draft, ...change });
  const patchItem = (index: number, change: Partial<ItemDraft>) =>
    patch({ items: draft.items.map((item, i) => (i === index ? { ...item, ...change } : item)) });
  const move = (index: number, by: -1 | 1) => {
    const items = [...draft.items];
    const [item] = items.splice(index, 1);
    if (item) items.splice(index + by, 0, item);
    patch({ items });
  };

  const save = async (event: Event) => {
    event.preventDefault();
    const { input, errors: local } = toInput(draft);
    setErrors(local);
    setFormError(input ? null : "Some fields need fixing.");
    if (!input) return;
    await run(
      true,
      async () => {
        const res = id ? await api.updateCase(id, input) : await api.createCase(input);
        toast(`Saved ${res.case.name}. Players see it now.`, "success");
        if (!id) navigate(`/admin/cases/${res.case.id}`, { replace: true });
        else setDraft(toDraft(res.case));
      },
      (err) => {
        if (!(err instanceof ApiError)) return setFormError(describeError(err));
        const placed = placeServerErrors(err, draft);
        setErrors(placed.fields);
        setFormError(placed.summary);
      },
    );
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
            <input id="name" value={draft.name} onInput={(ev) => patch(slugTouched ? { name: ev.currentTarget.value } : { name: ev.currentTarget.value, slug: slugify(ev.currentTarget.value) })} />
          </Field>
          <Field id="slug" label="Slug (URL)" error={e("slug")}>
            <input id="slug" class="mono" value={draft.slug} onInput={(ev) => (setSlugTouched(true), patch({ slug: ev.currentTarget.value }))} />
          </Field>
          <Field id="price" label={`Price (${currencySymbol()})`} error={e("price")} hint={draft.free ? "A free case costs nothing." : undefined}>
            <input id="price" inputMode="decimal" value={draft.free ? "0.00" : draft.price} disabled={draft.free} onInput={(ev) => patch({ price: ev.currentTarget.value })} />
          </Field>
          <Field id="imageUrl" label="Image URL" error={e("imageUrl")}>
            <input id="imageUrl" value={draft.imageUrl} onInput={(ev) => patch({ imageUrl: ev.currentTarget.value })} />
          </Field>
          <label class="check">
            <input type="checkbox" checked={draft.active} onChange={(ev) => patch({ active: ev.currentTarget.checked })} /> Live for players
          </label>
          <label class="check">
            <input type="checkbox" id="free" checked={draft.free} onChange={(ev) => patch({ free: ev.currentTarget.checked })} /> Free case (each player opens it once per cooldown)
          </label>
          {draft.free && (
            <Field id="freeCooldownSeconds" label="Cooldown (hours)" error={e("freeCooldownSeconds")}>
              <input id="freeCooldownSeconds" inputMode="decimal" value={draft.cooldownHours} onInput={(ev) => patch({ cooldownHours: ev.currentTarget.value })} />
            </Field>
          )}
        </div>
        <Stats preview={preview} />
        <h2 class="section-title">Items {e("items") && <small class="field-error" role="alert">{e("items")}</small>}</h2>
        <ol class="editor-items">
          {draft.items.map((item, i) => (
            <ItemEditor
              key={item.key}
              item={item}
              index={i}
              count={draft.items.length}
              chancePercent={preview.odds.items[i]?.chancePercent}
              error={e}
              onChange={(change) => patchItem(i, change)}
              onMove={(by) => move(i, by)}
              onRemove={() => patch({ items: draft.items.filter((_, n) => n !== i) })}
            />
          ))}
        </ol>
        <div class="editor-actions">
          <button type="button" class="btn" onClick={() => patch({ items: [...draft.items, blankItem()] })}>
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
