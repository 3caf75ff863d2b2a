import { signal } from "@preact/signals";

export { match } from "./paths";

/** The current path; the Worker serves the shell for every page path (src/http/site-pages.ts). */
export const route = signal(location.pathname);

export function navigate(path: string, { replace = false } = {}): void {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  route.value = path;
  window.scrollTo({ top: 0 });
}

window.addEventListener("popstate", () => (route.value = location.pathname));

// Internal links navigate without a reload; modified clicks keep their browser meaning.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const target = event.target instanceof Element ? event.target.closest("a") : null;
  if (!target || target.target || target.hasAttribute("download")) return;
  const url = new URL(target.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (url.hash && url.pathname === location.pathname) return;
  event.preventDefault();
  navigate(url.pathname);
});
