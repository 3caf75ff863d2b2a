import { api } from "../api";
import { connection } from "../live";
import { formatCents } from "../money";
import { navigate, route } from "../router";
import { account, session, toastError } from "../state";
import { onSignedOut } from "../session-flow";

const STATE_WORDS: Record<string, string> = {
  open: "Live",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  idle: "Not connected",
};

function ConnectionIndicator() {
  const { state, detail } = connection.value;
  const colour = state === "open" ? "green" : state === "offline" ? "red" : "amber";
  const words = STATE_WORDS[state] ?? state;
  return (
    <span class={`conn conn-${colour}`} data-state={state} data-testid="connection" title={`${words} — ${detail}`} role="status" aria-label={`Connection: ${words}. ${detail}`}>
      <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
        <path d="M2 9a15 15 0 0 1 20 0" />
        <path d="M5.5 12.5a10 10 0 0 1 13 0" />
        <path d="M9 16a5 5 0 0 1 6 0" />
        <circle cx="12" cy="19.5" r="1.4" />
      </svg>
      <span class="conn-label">{words}</span>
    </span>
  );
}

function NavLink({ href, children }: { href: string; children: string }) {
  const path = route.value;
  const current = path === href || (href !== "/" && path.startsWith(`${href}/`));
  return (
    <a href={href} class="nav-link" aria-current={current ? "page" : undefined}>
      {children}
    </a>
  );
}

export function TopBar() {
  const { user } = session.value;
  const { balance } = account.value;

  const logout = async () => {
    try {
      await api.logout();
    } catch (err) {
      toastError(err);
    }
    onSignedOut();
    navigate("/");
  };

  return (
    <header class="topbar">
      <a href="/" class="brand" aria-label="CyberHub home">
        <span class="brand-mark">◆</span> Cyber<span>Hub</span>
      </a>
      <nav class="nav" aria-label="Main">
        <NavLink href="/">Cases</NavLink>
        <NavLink href="/battles">Battles</NavLink>
        {user && <NavLink href="/inventory">Inventory</NavLink>}
        {user && <NavLink href="/upgrader">Upgrader</NavLink>}
        {user && <NavLink href="/fairness">Fairness</NavLink>}
        {user && <NavLink href="/history">History</NavLink>}
        {user?.role === "admin" && <NavLink href="/admin">Admin</NavLink>}
      </nav>
      <div class="topbar-right">
        <ConnectionIndicator />
        {user ? (
          <>
            <span class="who">
              <span class="display-name" data-testid="display-name">{user.displayName}</span>
              <span class="balance" data-testid="balance" aria-label="Balance">{formatCents(balance)}</span>
            </span>
            <button type="button" class="btn btn-ghost" onClick={logout}>
              Log out
            </button>
          </>
        ) : (
          <>
            <a href="/login" class="btn btn-ghost">Log in</a>
            <a href="/register" class="btn btn-primary">Sign up</a>
          </>
        )}
      </div>
    </header>
  );
}
