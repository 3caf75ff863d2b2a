// One esbuild setup for everything the browser loads (the SDK bundle and the site).
import { build } from "esbuild";

/** An ES2022 module bundle for browsers, minified, with a linked source map. */
export async function bundleForBrowser({ entryPoint, outfile, minify = true, ...options }) {
  await build({
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify,
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
    ...options,
  });
}
