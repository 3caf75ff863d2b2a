import { formatCents } from "../money";

export interface ItemCardProps {
  name: string;
  imageUrl: string | null;
  rarity: string;
  value: number;
  kind: "skin" | "money";
  chancePercent?: string;
  compact?: boolean;
}

export const RARITY_LABEL: Record<string, string> = {
  consumer: "Consumer",
  industrial: "Industrial",
  milspec: "Mil-Spec",
  restricted: "Restricted",
  classified: "Classified",
  covert: "Covert",
  extraordinary: "Extraordinary",
};

export function fallbackImage(kind: "skin" | "money"): string {
  return kind === "money" ? "/img/cash.svg" : "/img/skin.svg";
}

/** Shows a chance like "0.5000" as "0.5 %" without float arithmetic. */
export function formatChance(percent: string): string {
  const trimmed = percent.includes(".") ? percent.replace(/0+$/, "").replace(/\.$/, "") : percent;
  return `${trimmed} %`;
}

export function ItemCard(props: ItemCardProps) {
  return (
    <div class={`item-card rarity-${props.rarity}${props.compact ? " compact" : ""}`}>
      <img src={props.imageUrl ?? fallbackImage(props.kind)} alt="" width={96} height={72} />
      <div class="item-name">{props.name}</div>
      <div class="item-meta">
        <span class="item-value">{formatCents(props.value)}</span>
        {props.chancePercent !== undefined && <span class="item-chance" title="Chance to drop">{formatChance(props.chancePercent)}</span>}
      </div>
      <div class="item-rarity">
        {RARITY_LABEL[props.rarity] ?? props.rarity} · {props.kind === "money" ? "cash" : "skin"}
      </div>
    </div>
  );
}
