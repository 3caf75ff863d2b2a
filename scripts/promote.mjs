// Promote an existing account to admin:
//   npm run promote -- someone@example.com            (local D1 under .wrangler/state)
//   npm run promote -- someone@example.com --remote   (the deployed D1)
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT, wranglerEnv } from "./lib/dev-server.mjs";

const [email, ...flags] = process.argv.slice(2);
// Strict shape check: the address is spliced into SQL for `wrangler d1 execute`, so nothing
// that could close a string literal gets through.
if (!email || !/^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(email)) {
  console.error("usage: npm run promote -- <email> [--remote]");
  process.exit(2);
}
const remote = flags.includes("--remote");
const target = remote ? ["--remote"] : ["--local", "--persist-to", path.join(ROOT, ".wrangler", "state")];
const sql = `UPDATE users SET role = 'admin' WHERE email = '${email.toLowerCase()}' RETURNING id, email, role`;
const out = execFileSync(path.join(ROOT, "node_modules", ".bin", "wrangler"), ["d1", "execute", "DB", ...target, "--json", "--command", sql], {
  cwd: ROOT,
  env: remote ? process.env : wranglerEnv(),
  encoding: "utf8",
});
const rows = JSON.parse(out)?.[0]?.results ?? [];
if (rows.length === 0) {
  console.error(`No account with the email ${email}. Register it first, then promote it.`);
  process.exit(1);
}
console.log(`${rows[0].email} is now an admin.`);
