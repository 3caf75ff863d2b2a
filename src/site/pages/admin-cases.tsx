import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { caseChanges } from "../live";
import { formatCents } from "../money";
import { useAction } from "../hooks";
import { toast, toastError } from "../state";
import type { AdminCaseDetail } from "../types";

export function AdminTabs({ current }: { current: "cases" | "users" }) {
  return (
    <nav class="tabs admin-tabs" aria-label="Admin">
      <a href="/admin" class={`chip${current === "cases" ? " active" : ""}`} aria-current={current === "cases" ? "page" : undefined}>
        Cases
      </a>
      <a href="/admin/users" class={`chip${current === "users" ? " active" : ""}`} aria-current={current === "users" ? "page" : undefined}>
        Users
      </a>
    </nav>
  );
}

export function AdminCasesPage() {
  const change = caseChanges.value;
  const [cases, setCases] = useState<AdminCaseDetail[] | null>(null);
  const { busyKey, run } = useAction<string>();

  const load = () => api.adminCases().then((r) => setCases(r.cases), toastError);
  useEffect(() => void load(), [change]);

  const toggle = (c: AdminCaseDetail) =>
    run(c.id, async () => {
      await api.setCaseActive(c.id, !c.active);
      toast(`${c.name} is now ${c.active ? "hidden from players" : "live"}.`, "success");
      await load();
    });

  const remove = async (c: AdminCaseDetail) => {
    if (!window.confirm(`Delete "${c.name}"? Players keep what they won from it.`)) return;
    await run(c.id, async () => {
      await api.deleteCase(c.id);
      toast(`Deleted ${c.name}.`, "success");
      await load();
    });
  };

  return (
    <section class="page">
      <div class="page-head">
        <h1>Admin</h1>
        <AdminTabs current="cases" />
      </div>
      <p>
        <a href="/admin/cases/new" class="btn btn-primary" data-testid="new-case">+ New case</a>
      </p>
      {!cases && <p class="muted">Loading cases…</p>}
      {cases && (
        <div class="table-wrap panel">
          <table data-testid="admin-cases">
            <thead>
              <tr>
                <th>Case</th>
                <th class="num">Price</th>
                <th class="num">Items</th>
                <th class="num">EV</th>
                <th class="num">RTP</th>
                <th>Status</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {cases.map((c) => (
                <tr key={c.id} data-case-slug={c.slug}>
                  <td>
                    <a href={`/admin/cases/${c.id}`}>{c.name}</a>
                    <div class="muted small mono">{c.slug}</div>
                  </td>
                  <td class="num">{formatCents(c.price)}</td>
                  <td class="num">{c.items.length}</td>
                  <td class="num">{formatCents(c.expectedValue)}</td>
                  <td class="num">{c.rtpPercent.toFixed(2)} %</td>
                  <td>
                    <span class={`badge ${c.active ? "badge-live" : "badge-off"}`}>{c.active ? "Live" : "Hidden"}</span>
                  </td>
                  <td>
                    <div class="actions">
                    <a href={`/admin/cases/${c.id}`} class="btn btn-small">Edit</a>
                    <button type="button" class="btn btn-small" disabled={busyKey === c.id} onClick={() => toggle(c)}>
                      {c.active ? "Deactivate" : "Activate"}
                    </button>
                    <button type="button" class="btn btn-small btn-danger" disabled={busyKey === c.id} onClick={() => remove(c)}>
                      Delete
                    </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
