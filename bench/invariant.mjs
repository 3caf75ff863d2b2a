// The money invariant, read straight from the local D1 sqlite after a run.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { ROOT, wranglerEnv } from "../scripts/lib/dev-server.mjs";

const run = promisify(execFile);

export async function queryLocal(stateDir, sql) {
  const { stdout } = await run(path.join(ROOT, "node_modules", ".bin", "wrangler"), ["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--command", sql, "--json"], {
    cwd: ROOT,
    env: wranglerEnv({ CI: "true" }),
    maxBuffer: 64 * 1024 * 1024,
  });
  const parsed = JSON.parse(stdout);
  return parsed[0]?.results ?? [];
}

/** Every balance equals its ledger sum, none negative, and openings of `emailLike` users equal `expectedOpenings`. */
export async function checkInvariant(stateDir, { emailLike, expectedOpenings }) {
  const [row] = await queryLocal(
    stateDir,
    `SELECT
       (SELECT COUNT(*) FROM users u WHERE u.balance != (SELECT COALESCE(SUM(l.delta), 0) FROM ledger l WHERE l.user_id = u.id)) AS mismatched,
       (SELECT COUNT(*) FROM users WHERE balance < 0) AS negative,
       (SELECT COUNT(*) FROM ledger WHERE balance_after < 0) AS negative_ledger,
       (SELECT COUNT(*) FROM users) AS users,
       (SELECT COUNT(*) FROM openings o JOIN users u ON u.id = o.user_id WHERE u.email LIKE '${emailLike}') AS openings,
       (SELECT COUNT(*) FROM ledger l JOIN users u ON u.id = l.user_id WHERE u.email LIKE '${emailLike}' AND l.reason = 'open') AS open_entries`,
  );
  const ok = row.mismatched === 0 && row.negative === 0 && row.negative_ledger === 0 && row.openings === expectedOpenings && row.open_entries === expectedOpenings;
  return { ...row, expectedOpenings, ok };
}
