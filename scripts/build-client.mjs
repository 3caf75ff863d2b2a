// Bundles the realtime SDK (src/client) into public/sdk/realtime.js, the ES module the site loads
// with `import { createRealtime } from "/sdk/realtime.js"`. Run by `npm start` and `npm test`
// (their pre-hooks); the output is git-ignored.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bundleForBrowser } from "./lib/bundle.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
export const SDK_OUT_FILE = path.join(ROOT, "public", "sdk", "realtime.js");

export async function buildClient({ minify = true } = {}) {
  await bundleForBrowser({ entryPoint: path.join(ROOT, "src", "client", "index.ts"), outfile: SDK_OUT_FILE, minify });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await buildClient();
  console.log(`realtime SDK written to ${path.relative(ROOT, SDK_OUT_FILE)}`);
}
