/**
 * Every page path the site has, as router patterns. The Worker reads this too: a path that is
 * none of these is answered 404 with the site's shell (which shows "Page not found"), so a
 * crawler or a link checker sees the status a person sees in words. Add a page here with its route.
 * No DOM in this module: the Worker imports it.
 */
export const SITE_PAGES = [
  "/",
  "/login",
  "/register",
  "/docs/api",
  "/case/:slug",
  "/inventory",
  "/upgrader",
  "/battles",
  "/battles/new",
  "/battles/:id",
  "/fairness",
  "/history",
  "/admin",
  "/admin/users",
  "/admin/cases/new",
  "/admin/cases/:id",
] as const;

/** Matches "/case/:slug" style patterns; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? "";
    const h = have[i] ?? "";
    if (w.startsWith(":")) {
      try {
        params[w.slice(1)] = decodeURIComponent(h);
      } catch {
        return null;
      }
    } else if (w !== h) return null;
  }
  return params;
}

/** Whether a path is one of the site's pages (a trailing slash is the same page). */
export function isSitePage(path: string): boolean {
  return SITE_PAGES.some((pattern) => match(pattern, path) !== null);
}
