import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { SeedPanel } from "../components/seed-panel";
import { UpgradeVerifier } from "../components/upgrade-verifier";
import { Verifier } from "../components/verifier";
import { toastError } from "../state";
import type { FairnessView } from "../types";

export function FairnessPage() {
  const [view, setView] = useState<FairnessView | null>(null);
  useEffect(() => {
    api.fairness().then(setView, toastError);
  }, []);
  return (
    <section class="page">
      <h1>Provably fair</h1>
      <div class="two-col">
        {view ? <SeedPanel view={view} onChange={setView} /> : <p class="muted">Loading seeds…</p>}
        <Verifier />
      </div>
      <UpgradeVerifier />
      {view && view.revealed.length > 0 && (
        <div class="panel">
          <h2>Revealed seeds</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Revealed</th>
                  <th>Server seed</th>
                  <th>Client seed</th>
                  <th>Rolls</th>
                </tr>
              </thead>
              <tbody>
                {view.revealed.map((r) => (
                  <tr key={r.seedId}>
                    <td>{new Date(r.revealedAt).toLocaleString()}</td>
                    <td class="mono break">{r.serverSeed}</td>
                    <td class="mono">{r.clientSeed}</td>
                    <td>{r.noncesUsed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
