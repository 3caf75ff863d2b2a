import { formatCents } from "../money";
import { drops } from "../state";
import { fallbackImage } from "./item-card";

/**
 * The live feed of wins from everyone, newest on the left. A lobby socket starts with the latest
 * drops, so it is full from the first second; its height is fixed (site.css), so nothing moves when
 * the first drops arrive or the list changes.
 */
export function DropsTicker() {
  const list = drops.value;
  return (
    <section class="ticker" aria-label="Live drops">
      <span class="ticker-label">
        <span class="pulse" aria-hidden="true" /> Live drops
      </span>
      <ol class="ticker-list" aria-live="polite" data-testid="drops">
        {list.length === 0 && <li class="ticker-empty">No wins yet. Open a case to be the first.</li>}
        {list.map((d) => (
          <li key={d.key} class={`drop rarity-${d.item.rarity}`} data-drop-id={d.id} title={`${d.userDisplayName} won ${d.item.name}`}>
            <img src={d.item.imageUrl ?? fallbackImage(d.item.kind)} alt="" width={36} height={27} />
            <span class="drop-text">
              <span class="drop-item">{d.item.name}</span>
              <span class="drop-who">
                {d.userDisplayName} · {formatCents(d.item.value)}
              </span>
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
