import { api } from "../api";
import { usePages } from "../hooks";
import { formatCents, formatDelta } from "../money";
import { account } from "../state";
import type { LedgerReason } from "../types";

const REASONS: Record<LedgerReason, string> = {
  open: "Opened a case",
  claim: "Claimed cash",
  sell: "Sold skins",
  admin_credit: "Credit from CyberHub",
  admin_debit: "Debit by CyberHub",
  upgrade: "Upgrader",
  promo: "Promo code",
  battle_entry: "Case battle entry",
  battle_refund: "Case battle refund",
  battle_win: "Case battle won",
};

/** "AK-47 | Redline, P250 | Sand Dune and 3 more": the names the server sent and the count behind them. */
function itemWords(names: readonly string[], count: number): string {
  const rest = count - names.length;
  return rest > 0 ? `${names.join(", ")} and ${rest} more` : names.join(", ");
}

export function LedgerPage() {
  const { version } = account.value;
  // Every balance change is a ledger row: reload the first page when the balance moves.
  const { items: entries, loading, loadMore } = usePages((cursor) => api.ledger(cursor).then((page) => ({ items: page.entries, nextCursor: page.nextCursor })), [version]);

  return (
    <section class="page">
      <h1>History</h1>
      <p class="muted">Every change to your balance, newest first.</p>
      {!loading && entries?.length === 0 && <p class="muted">No balance changes yet.</p>}
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
            {entries?.map((e) => (
              <tr key={e.id}>
                <td>{new Date(e.createdAt).toLocaleString()}</td>
                <td data-testid="ledger-what">
                  {REASONS[e.reason] ?? e.reason}
                  {e.caseName && <> · <strong>{e.caseName}</strong></>}
                  {e.items.length > 0 && <div class="small ledger-items">{itemWords(e.items, e.itemCount)}</div>}
                  {e.note && <div class="muted small">{e.note}</div>}
                </td>
                <td class={`num ${e.delta < 0 ? "neg" : "pos"}`}>{formatDelta(e.delta)}</td>
                <td class="num">{formatCents(e.balanceAfter)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {loadMore && (
        <button type="button" class="btn" disabled={loading} onClick={loadMore}>
          Load older entries
        </button>
      )}
    </section>
  );
}
