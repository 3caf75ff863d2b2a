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

/**
 * Every balance equals its ledger sum, none negative; for `emailLike` users every 'open' ledger row
 * has exactly the openings its amount paid for (one per single open) and their number lies within
 * [minOpenings, maxOpenings] (the 2xx responses seen, plus requests still in flight at the deadline).
 */
export async function checkInvariant(stateDir, { emailLike, minOpenings, maxOpenings }) {
  const [row] = await queryLocal(
    stateDir,
    `SELECT
       (SELECT COUNT(*) FROM users u WHERE u.balance != (SELECT COALESCE(SUM(l.delta), 0) FROM ledger l WHERE l.user_id = u.id)) AS mismatched,
       (SELECT COUNT(*) FROM users WHERE balance < 0) AS negative,
       (SELECT COUNT(*) FROM ledger WHERE balance_after < 0) AS negative_ledger,
       (SELECT COUNT(*) FROM users) AS users,
       (SELECT COUNT(*) FROM openings o JOIN users u ON u.id = o.user_id WHERE u.email LIKE '${emailLike}') AS openings,
       (SELECT COUNT(*) FROM ledger l JOIN users u ON u.id = l.user_id WHERE u.email LIKE '${emailLike}' AND l.reason = 'open') AS open_entries,
       (SELECT COUNT(*) FROM ledger l JOIN users u ON u.id = l.user_id WHERE u.email LIKE '${emailLike}' AND l.reason = 'open'
          AND (SELECT COUNT(*) FROM openings o WHERE o.ledger_id = l.id) != 1) AS entries_without_one_opening,
       (SELECT COUNT(*) FROM openings o WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.id = o.ledger_id)) AS orphan_openings`,
  );
  const ok =
    row.mismatched === 0 &&
    row.negative === 0 &&
    row.negative_ledger === 0 &&
    row.entries_without_one_opening === 0 &&
    row.orphan_openings === 0 &&
    row.openings === row.open_entries &&
    row.openings >= minOpenings &&
    row.openings <= maxOpenings;
  return { ...row, minOpenings, maxOpenings, ok };
}
