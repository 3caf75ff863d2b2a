import { match } from "./router";

const TITLES: Record<string, string> = {
  "/": "Cases",
  "/login": "Log in",
  "/register": "Sign up",
  "/docs/api": "API reference",
  "/battles": "Case battles",
  "/battles/new": "Create a battle",
  "/inventory": "Inventory",
  "/fairness": "Provably fair",
  "/history": "History",
  "/admin": "Admin · Cases",
  "/admin/users": "Admin · Users",
  "/admin/cases/new": "Admin · New case",
};

/** The tab's title for a path; a case page names its case itself once loaded (null here). */
export function titleOf(path: string): string | null {
  if (match("/case/:slug", path)) return null;
  // A battle room names itself once loaded (its format and status).
  if (path !== "/battles/new" && match("/battles/:id", path)) return null;
  if (match("/admin/cases/:id", path)) return "Admin · Edit case";
  return TITLES[path] ?? "Page not found";
}

/** Sets the tab's title: `<what> · CyberHub`. */
export function setTitle(what: string): void {
  document.title = `${what} · CyberHub`;
}
