import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { schemaText } from "../schema-text";
import { toastError } from "../state";
import type { OpenApiDocument, OpenApiOperation } from "../types";

const ACCESS_WORDS: Record<string, string> = { public: "anyone", player: "signed-in player", admin: "admin" };

function jsonBody(content: unknown): unknown {
  const json = typeof content === "object" && content !== null && "application/json" in content ? content["application/json"] : null;
  return typeof json === "object" && json !== null && "schema" in json ? json.schema : null;
}

function OperationEntry({ method, path, op }: { method: string; path: string; op: OpenApiOperation }) {
  const body = op.requestBody ? jsonBody(op.requestBody.content) : null;
  return (
    <details class="panel api-op" id={op.operationId}>
      <summary>
        <span class={`api-method api-${method}`}>{method.toUpperCase()}</span> <code>{path}</code> <span class="muted">{op.summary}</span>
      </summary>
      <p>
        Who: <strong>{ACCESS_WORDS[op["x-access"]] ?? op["x-access"]}</strong>
        {op.description && <span class="muted"> · {op.description}</span>}
      </p>
      {op.parameters.length > 0 && (
        <>
          <h3>Parameters</h3>
          <ul class="api-params">
            {op.parameters.map((p) => (
              <li key={`${p.in}:${p.name}`}>
                <code>{p.name}</code> <span class="muted">({p.in}{p.required ? ", required" : ""})</span>: <code>{schemaText(p.schema)}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      {body !== null && (
        <>
          <h3>Body</h3>
          <pre class="mono">{schemaText(body)}</pre>
        </>
      )}
      <h3>Responses</h3>
      {Object.entries(op.responses).map(([status, response]) => {
        const schema = "content" in response ? jsonBody(response.content) : null;
        return (
          <div key={status}>
            <p>
              <strong>{status}</strong> {"description" in response ? response.description : "the error shape: { error: { code, message, issues? } }"}
            </p>
            {schema !== null && <pre class="mono">{schemaText(schema)}</pre>}
          </div>
        );
      })}
    </details>
  );
}

/** `/docs/api`: the API reference, read from GET /api/openapi.json (the same document tools use). */
export function ApiReferencePage() {
  const [doc, setDoc] = useState<OpenApiDocument | null>(null);
  useEffect(() => {
    api.openApi().then(setDoc, toastError);
  }, []);
  if (!doc) return <section class="page"><h1>API reference</h1><p class="muted">Loading…</p></section>;
  const byTag = new Map<string, { method: string; path: string; op: OpenApiOperation }[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op }]);
    }
  }
  return (
    <section class="page">
      <h1>API reference</h1>
      <p class="muted">
        {doc.info.description} Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI {doc.openapi}, version {doc.info.version}).
      </p>
      {[...byTag].map(([tag, ops]) => (
        <section key={tag} aria-labelledby={`tag-${tag}`}>
          <h2 id={`tag-${tag}`}>{tag}</h2>
          {ops.map((o) => (
            <OperationEntry key={`${o.method} ${o.path}`} {...o} />
          ))}
        </section>
      ))}
    </section>
  );
}
