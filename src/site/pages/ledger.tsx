import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { formatCents, formatDelta } from "../money";
import { account, toastError } from "../state";
import { useStore } from "../store";
import type { LedgerEntry, LedgerReason } from "../types";

const REASONS: Record<LedgerReason, string> = {
  open: "Opened a case",
  claim: "Claimed cash",
  sell: "Sold skins",
  admin_credit: "Credit from CyberHub",
  admin_debit: "Debit by CyberHub",
};

export function LedgerPage() {
  const { version } = useStore(account);
  const [entries, setEntries] = useState<LedgerEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const load = async (from: string | null) => {
    setLoading(true);
    try {
      const page = await api.ledger(from);
      setEntries((prev) => (from ? [...prev, ...page.entries] : page.entries));
      setCursor(page.nextCursor);
    } catch (err) {
      toastError(err);
    } finally {
      setLoading(false);
    }
  };
  // Every balance change is a ledger row: reload the first page when the balance moves.
  useEffect(() => void load(null), [version]);

  return (
    <section class="page">
      <h1>History</h1>
      <p class="muted">Every change to your balance, newest first.</p>
      {!loading && entries.length === 0 && <p class="muted">No balance changes yet.</p>}
      <div class="table-wrap panel">
        <table class="ledger" data-testid="ledger">
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th class="num">Amount</th>
              <th class="num">Balance after</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>{new Date(e.createdAt).toLocaleString()}</td>
                <td>
                  {REASONS[e.reason] ?? e.reason}
                  {e.note && <div class="muted small">{e.note}</div>}
                </td>
                <td class={`num ${e.delta < 0 ? "neg" : "pos"}`}>{formatDelta(e.delta)}</td>
                <td class="num">{formatCents(e.balanceAfter)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursor && (
        <button type="button" class="btn" disabled={loading} onClick={() => load(cursor)}>
          Load older entries
        </button>
      )}
    </section>
  );
}
