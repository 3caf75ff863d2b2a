import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Workers-pool tests: the Worker, D1 and the Durable Objects run in workerd, as in production.
// The end-to-end and browser suites (real `wrangler dev`) are separate projects in vitest.e2e.config.ts.
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        main: "./src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // A partner origin so the CORS tests have an allowed origin to check against; a short reveal
          // and short battle rounds, so the tests that watch a drop or a battle wait less than a real reel.
          bindings: { TEST_MIGRATIONS: migrations, ALLOWED_ORIGINS: "https://partner.example, https://admin.partner.example/", REVEAL_MS: "700", BATTLE_ROUND_MS: "200" },
          // An empty database the migration tests upgrade step by step, with data in it.
          d1Databases: ["UPGRADE_DB"],
        },
      }),
    ],
    test: {
      include: ["test/unit/**/*.test.ts", "test/worker/**/*.test.ts"],
      setupFiles: ["./test/apply-migrations.ts"],
      testTimeout: 30_000,
      // The Worker logs JSON for operators; show it only for the tests that fail.
      silent: "passed-only" as const,
    },
  };
});
