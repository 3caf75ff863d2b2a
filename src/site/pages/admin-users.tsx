import { useState } from "preact/hooks";
import { api, ApiError, describeError } from "../api";
import { formatCents, parseCents } from "../money";
import { toast } from "../state";
import { useAction, usePages } from "../hooks";
import type { PublicUser } from "../types";
import { AdminTabs } from "./admin-cases";

function AdjustForm({ user, onDone }: { user: PublicUser; onDone: (balance: number) => void }) {
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const { busy, run } = useAction();

  const submit = async (sign: 1 | -1) => {
    setError(null);
    const cents = parseCents(amount);
    if (cents === null || cents <= 0) {
      setError("Enter a positive amount like 5.00; choose Credit or Debit for the direction.");
      return;
    }
    await run(
      true,
      async () => {
        const res = await api.adjustBalance(user.id, sign * cents, reason);
        toast(`${sign > 0 ? "Credited" : "Debited"} ${formatCents(cents)} ${sign > 0 ? "to" : "from"} ${user.displayName}.`, "success");
        setAmount("");
        setReason("");
        onDone(res.balance);
      },
      (err) => setError(err instanceof ApiError && err.issues.length ? err.issues.map((i) => `${i.path === "amount" ? "Amount" : i.path === "reason" ? "Reason" : i.path} ${i.message}`).join(". ") : describeError(err)),
    );
  };

  const base = `adjust-${user.id}`;
  return (
    <form class="adjust" onSubmit={(e) => (e.preventDefault(), submit(1))} aria-label={`Adjust the balance of ${user.displayName}`}>
      <label class="sr-only" for={`${base}-amount`}>Amount in euros</label>
      <input id={`${base}-amount`} class="amount" inputMode="decimal" placeholder="5.00" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
      <label class="sr-only" for={`${base}-reason`}>Reason</label>
      <input id={`${base}-reason`} class="reason" placeholder="Reason (shown in their history)" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      <button type="submit" class="btn btn-small btn-primary" disabled={busy}>Credit</button>
      <button type="button" class="btn btn-small btn-danger" disabled={busy} onClick={() => submit(-1)}>Debit</button>
      {error && <small class="field-error" role="alert">{error}</small>}
    </form>
  );
}

export function AdminUsersPage() {
  const [query, setQuery] = useState("");
  // Searched as the admin types: the first page 250 ms after the last keystroke.
  const pages = usePages<PublicUser>((cursor) => api.users(query, cursor).then((page) => ({ items: page.users, nextCursor: page.nextCursor })), [query], 250);
  const { items: users, setItems: setUsers, loadMore } = pages;

  const setBalance = (id: string, balance: number) => setUsers((list) => list?.map((u) => (u.id === id ? { ...u, balance } : u)) ?? null);

  return (
    <section class="page">
      <div class="page-head">
        <h1>Admin</h1>
        <AdminTabs current="users" />
      </div>
      <div class="field search">
        <label for="user-search">Search by email or name</label>
        <input id="user-search" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
      </div>
      {!users && <p class="muted">Loading users…</p>}
      {users && users.length === 0 && <p class="muted">No user matches.</p>}
      <ul class="user-list">
        {users?.map((u) => (
          <li key={u.id} class="panel user-row" data-user-email={u.email}>
            <div class="user-info">
              <strong>{u.displayName}</strong> {u.role === "admin" && <span class="badge">admin</span>}
              <div class="muted small">{u.email}</div>
            </div>
            <div class="user-balance">{formatCents(u.balance)}</div>
            <AdjustForm user={u} onDone={(balance) => setBalance(u.id, balance)} />
          </li>
        ))}
      </ul>
      {loadMore && (
        <button type="button" class="btn" onClick={loadMore}>
          Load more
        </button>
      )}
    </section>
  );
}
