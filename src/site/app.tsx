import { useEffect } from "preact/hooks";
import { DropsTicker } from "./components/drops-ticker";
import { setTitle, titleOf } from "./title";
import { Toasts } from "./components/toasts";
import { TopBar } from "./components/top-bar";
import { AdminCasesPage } from "./pages/admin-cases";
import { AdminUsersPage } from "./pages/admin-users";
import { ApiReferencePage } from "./pages/api-reference";
import { AuthPage } from "./pages/auth";
import { CreateBattlePage } from "./pages/battle-create";
import { BattleRoomPage } from "./pages/battle-room";
import { BattlesPage } from "./pages/battles";
import { CaseEditor } from "./pages/case-editor";
import { CasePage } from "./pages/case-page";
import { FairnessPage } from "./pages/fairness";
import { InventoryPage } from "./pages/inventory";
import { LedgerPage } from "./pages/ledger";
import { Lobby } from "./pages/lobby";
import { UpgraderPage } from "./pages/upgrader";
import { isSitePage } from "./paths";
import { match, route } from "./router";
import { session } from "./state";

function NeedsLogin() {
  return (
    <section class="page">
      <h1>Log in first</h1>
      <p class="panel notice">
        <a href="/login">Log in</a> to see this page.
      </p>
    </section>
  );
}

function Page() {
  const path = route.value;
  const { ready, user } = session.value;
  useEffect(() => {
    const title = titleOf(path);
    if (title) setTitle(title);
  }, [path]);
  // An unknown path is not found for everyone, logged in or not (the Worker sent it with a 404).
  if (!isSitePage(path)) return <NotFound />;
  if (path === "/") return <Lobby />;
  if (path === "/login") return <AuthPage mode="login" />;
  if (path === "/register") return <AuthPage mode="register" />;
  if (path === "/docs/api") return <ApiReferencePage />;
  const caseParams = match("/case/:slug", path);
  if (caseParams?.slug) return <CasePage slug={caseParams.slug} />;
  // Battles are public to watch: the lobby and every room, logged in or not.
  if (path === "/battles") return <BattlesPage />;
  const battleParams = path === "/battles/new" ? null : match("/battles/:id", path);
  if (battleParams?.id) return <BattleRoomPage id={battleParams.id} />;
  if (!ready) return <section class="page"><h1 class="sr-only">Loading</h1><p class="muted">Loading…</p></section>;
  if (!user) return <NeedsLogin />;
  if (path === "/battles/new") return <CreateBattlePage />;
  if (path === "/inventory") return <InventoryPage />;
  if (path === "/upgrader") return <UpgraderPage />;
  if (path === "/fairness") return <FairnessPage />;
  if (path === "/history") return <LedgerPage />;
  if (path.startsWith("/admin")) {
    if (user.role !== "admin") return <section class="page"><h1>Admins only</h1><p class="panel notice">This page is for admins.</p></section>;
    if (path === "/admin") return <AdminCasesPage />;
    if (path === "/admin/users") return <AdminUsersPage />;
    if (path === "/admin/cases/new") return <CaseEditor id={null} />;
    const edit = match("/admin/cases/:id", path);
    if (edit?.id) return <CaseEditor id={edit.id} />;
  }
  return <NotFound />;
}

function NotFound() {
  return (
    <section class="page" data-testid="not-found">
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <a href="/">Back to the cases</a>
      </p>
    </section>
  );
}

export function App() {
  return (
    <>
      <a href="#main" class="skip-link">Skip to content</a>
      <TopBar />
      <DropsTicker />
      <main id="main" tabIndex={-1}>
        <Page />
      </main>
      <footer class="site-footer">
        <a href="/fairness">Provably fair</a> · <a href="/docs/api">API reference</a>
      </footer>
      <Toasts />
    </>
  );
}
