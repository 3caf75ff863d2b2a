import type { ItemDraft } from "../case-draft";
import { currencySymbol } from "../money";
import { RARITIES } from "../types";
import { Field } from "./field";
import { formatChance, RARITY_LABEL } from "./item-card";

const STOCK_IMAGES = { skin: "/img/skin.svg", money: "/img/cash.svg" } as const;

export interface ItemEditorProps {
  item: ItemDraft;
  index: number;
  count: number;
  chancePercent: string | undefined;
  error(path: string): string | undefined;
  onChange(change: Partial<ItemDraft>): void;
  onMove(by: -1 | 1): void;
  onRemove(): void;
}

/** One item of the case editor; its field ids are the API's issue paths (`items.2.weight`). */
export function ItemEditor({ item, index: i, count, chancePercent, error, onChange, onMove, onRemove }: ItemEditorProps) {
  const p = `items.${i}`;
  const setKind = (value: string) => {
    const kind = value === "money" ? "money" : "skin";
    const stock = !item.imageUrl || item.imageUrl === STOCK_IMAGES.skin || item.imageUrl === STOCK_IMAGES.money;
    onChange({ kind, imageUrl: stock ? STOCK_IMAGES[kind] : item.imageUrl });
  };
  return (
    <li class={`panel editor-item rarity-${item.rarity}`} data-item-index={i}>
      <div class="editor-item-head">
        <strong>#{i + 1}</strong>
        <span class="chance" data-testid={`chance-${i}`}>{chancePercent ? formatChance(chancePercent) : "—"}</span>
        <span class="spacer" />
        <button type="button" class="btn btn-small" aria-label={`Move item ${i + 1} up`} disabled={i === 0} onClick={() => onMove(-1)}>↑</button>
        <button type="button" class="btn btn-small" aria-label={`Move item ${i + 1} down`} disabled={i === count - 1} onClick={() => onMove(1)}>↓</button>
        <button type="button" class="btn btn-small btn-danger" aria-label={`Remove item ${i + 1}`} disabled={count === 1} onClick={onRemove}>✕</button>
      </div>
      <div class="editor-item-grid">
        <Field id={`${p}.name`} label="Name" error={error(`${p}.name`)}>
          <input id={`${p}.name`} value={item.name} onInput={(ev) => onChange({ name: ev.currentTarget.value })} />
        </Field>
        <Field id={`${p}.kind`} label="Kind" error={error(`${p}.kind`)}>
          <select id={`${p}.kind`} value={item.kind} onChange={(ev) => setKind(ev.currentTarget.value)}>
            <option value="skin">Skin (sold back)</option>
            <option value="money">Cash (claimed)</option>
          </select>
        </Field>
        <Field id={`${p}.rarity`} label="Rarity" error={error(`${p}.rarity`)}>
          <select id={`${p}.rarity`} value={item.rarity} onChange={(ev) => onChange({ rarity: RARITIES.find((r) => r === ev.currentTarget.value) ?? "consumer" })}>
            {RARITIES.map((r) => (
              <option key={r} value={r}>{RARITY_LABEL[r]}</option>
            ))}
          </select>
        </Field>
        <Field id={`${p}.value`} label={`Value (${currencySymbol()})`} error={error(`${p}.value`)}>
          <input id={`${p}.value`} inputMode="decimal" value={item.value} onInput={(ev) => onChange({ value: ev.currentTarget.value })} />
        </Field>
        <Field id={`${p}.weight`} label="Weight" error={error(`${p}.weight`)}>
          <input id={`${p}.weight`} inputMode="numeric" value={item.weight} onInput={(ev) => onChange({ weight: ev.currentTarget.value })} />
        </Field>
        <Field id={`${p}.imageUrl`} label="Image URL" error={error(`${p}.imageUrl`)}>
          <input id={`${p}.imageUrl`} value={item.imageUrl} onInput={(ev) => onChange({ imageUrl: ev.currentTarget.value })} />
        </Field>
      </div>
    </li>
  );
}
