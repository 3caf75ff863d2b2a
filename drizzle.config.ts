import { defineConfig } from "drizzle-kit";

// drizzle-kit turns src/db/schema.ts into the SQL files under migrations/,
// which wrangler (`d1 migrations apply`) and the tests both apply.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
