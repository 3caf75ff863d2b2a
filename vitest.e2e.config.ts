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
    // No retries: a test that needs one is waiting on luck (a timer, a port, a page that was not
    // live yet), and a retry would hide it.
    retry: 0,
    // Each file owns a wrangler dev process, one file at a time: with a browser as well, a second
    // server would only compete for the 2 cores.
    fileParallelism: false,
    passWithNoTests: true,
  },
});
