import type { ComponentChildren } from "preact";

/** A labelled control with its error underneath, linked for screen readers. */
export function Field(props: { id: string; label: string; error?: string | undefined; hint?: string; children: ComponentChildren; class?: string }) {
  return (
    <div class={`field${props.error ? " has-error" : ""}${props.class ? ` ${props.class}` : ""}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && !props.error && <small class="hint">{props.hint}</small>}
      {props.error && (
        <small class="field-error" id={`${props.id}-error`} role="alert" data-error-for={props.id}>
          {props.error}
        </small>
      )}
    </div>
  );
}
