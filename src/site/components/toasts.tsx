import { toasts } from "../state";

export function Toasts() {
  const list = toasts.value;
  return (
    <div class="toasts" aria-live="assertive">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} role={t.kind === "error" ? "alert" : "status"}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
