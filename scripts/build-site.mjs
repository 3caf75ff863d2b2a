// Bundles the site (src/site, TypeScript + preact) into public/build/, which wrangler serves as
// static assets. Run by `npm start` and `npm test`; the output is git-ignored.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bundleForBrowser } from "./lib/bundle.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
export const SITE_OUT_DIR = path.join(ROOT, "public", "build");

/** One ES module bundle for the browser; the realtime SDK (src/client) and the fairness verifier come in with it. */
export async function buildSite({ minify = true } = {}) {
  await bundleForBrowser({
    entryPoint: path.join(ROOT, "src", "site", "main.tsx"),
    outfile: path.join(SITE_OUT_DIR, "app.js"),
    minify,
    jsx: "automatic",
    jsxImportSource: "preact",
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await buildSite();
  console.log(`site built into ${path.relative(ROOT, SITE_OUT_DIR)}/`);
}
