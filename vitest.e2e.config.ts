import { defineConfig } from "vitest/config";

// Tests that drive a real `wrangler dev` from Node (end-to-end over HTTP and WebSockets,
// and the browser tests). Each file starts its own server on a free port with its own state.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts", "test/browser/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    // The Worker logs JSON for operators; show it only for the tests that fail.
    silent: "passed-only",
    hookTimeout: 180_000,
    // A real server and a real browser on a shared 2-core machine: one retry absorbs a hiccup of
    // the machine (seen: a navigation that never loaded, once in several runs); a regression
    // fails both attempts. Retries are reported in the output, so a flaky test stays visible.
    retry: 1,
    // Each file owns a wrangler dev process; two at a time fit the 2-core machines.
    fileParallelism: false,
    passWithNoTests: true,
  },
});
