import { toasts } from "../state";
import { useStore } from "../store";

export function Toasts() {
  const list = useStore(toasts);
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
