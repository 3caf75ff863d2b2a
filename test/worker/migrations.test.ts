import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// Upgrades a database that already holds an account's history, migration by migration, and checks
// that nothing is lost on the way: the migrations must work on D1 with data, not only when empty.
const db = env.UPGRADE_DB;
const migrations = env.TEST_MIGRATIONS;
const upTo = (name: string) => migrations.slice(0, migrations.findIndex((m) => m.name.startsWith(name)) + 1);

const run = (sql: string, ...params: unknown[]) => db.prepare(sql).bind(...params).run();
const all = async <T>(sql: string, ...params: unknown[]) => (await db.prepare(sql).bind(...params).all<T>()).results;

async function seedHistory() {
  await run("INSERT INTO users (id, email, display_name, password_hash, role, balance, version, created_at) VALUES ('u1', 'u1@example.test', 'U1', 'x', 'player', 1250, 3, 1)");
  await run("INSERT INTO server_seeds (id, user_id, seed, seed_hash, client_seed, next_nonce, created_at) VALUES ('s1', 'u1', 'seed', 'hash', 'client', 2, 1)");
  const entry = "INSERT INTO ledger (id, user_id, delta, balance_after, account_version, reason, ref, idempotency_key, request_hash, created_at) VALUES (?, 'u1', ?, ?, ?, ?, 'c1', ?, ?, ?)";
  await run(entry, "l1", 2000, 2000, 1, "admin_credit", null, null, 10);
  await run(entry, "l2", -1000, 1000, 2, "open", "key-1", "hash-1", 20);
  await run(entry, "l3", 250, 1250, 3, "claim", null, null, 30);
  const opening =
    "INSERT INTO openings (id, user_id, case_id, case_version, price, ledger_id, seed_id, client_seed, nonce, roll, item_id, item_name, item_rarity, item_value, item_kind, status, settled_ledger_id, settled_at, created_at) VALUES (?, 'u1', 'c1', 1, 500, 'l2', 's1', 'client', ?, 7, 'i1', 'Prize', 'common', 250, 'money', ?, ?, ?, 20)";
  await run(opening, "o1", 0, "claimed", "l3", 30);
  await run(opening, "o2", 1, "owned", null, null);
}

describe("migrations", () => {
  it("0001 clusters ledger and openings without losing a row or a reference; 0002 moves the nonce counter; 0004 adds upgrades", async () => {
    await applyD1Migrations(db, upTo("0000"));
    await seedHistory();
    const before = { ledger: await all("SELECT * FROM ledger ORDER BY id"), openings: await all("SELECT * FROM openings ORDER BY id") };

    await applyD1Migrations(db, migrations);

    expect(await all("SELECT * FROM ledger ORDER BY id")).toEqual(before.ledger);
    // 0004 rebuilt openings with a `source` column: every item before it was rolled from a case.
    expect(await all("SELECT * FROM openings ORDER BY id")).toEqual(before.openings.map((o) => ({ ...(o as object), source: "case" })));
    expect(await all("PRAGMA foreign_key_check")).toEqual([]);
    const tables = await all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('ledger', 'openings', 'upgrades')");
    expect(tables).toHaveLength(3);
    for (const t of tables) {
      expect(t.sql).toContain("WITHOUT ROWID");
      expect(t.sql).not.toContain("__new_");
    }
    // The only index an opening could write to is gone; what remains is partial and skipped by it.
    const indexes = await all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('ledger', 'openings') AND sql IS NOT NULL ORDER BY name");
    expect(indexes.map((i) => i.name)).toEqual(["ledger_idempotency_unique", "openings_settled_ledger_idx"]);

    // 0002: the active seed's counter moved onto the user.
    expect(await all("SELECT next_nonce FROM users WHERE id = 'u1'")).toEqual([{ next_nonce: 2 }]);
    expect(await all("SELECT next_nonce FROM server_seeds WHERE id = 's1'")).toEqual([{ next_nonce: 0 }]);

    // The previous code's nonce reservation, run during the deploy window, is refused, not served twice.
    await expect(run("UPDATE server_seeds SET next_nonce = next_nonce + 1 WHERE user_id = 'u1' AND revealed_at IS NULL RETURNING *")).rejects.toThrow(/retired/);
    await expect(run("UPDATE server_seeds SET next_nonce = CASE WHEN next_nonce = 0 THEN 1 ELSE NULL END WHERE id = 's1'")).rejects.toThrow(/retired/);
    // Revealing (this code's rotation) still records the count.
    await run("UPDATE server_seeds SET revealed_at = 50, next_nonce = (SELECT next_nonce FROM users WHERE id = 'u1') WHERE id = 's1' AND revealed_at IS NULL");
    expect(await all("SELECT next_nonce, revealed_at FROM server_seeds WHERE id = 's1'")).toEqual([{ next_nonce: 2, revealed_at: 50 }]);

    // The constraints came along: the idempotency key is still unique, an opening still needs its entry.
    await expect(run("INSERT INTO ledger (id, user_id, delta, balance_after, account_version, reason, idempotency_key, created_at) VALUES ('l4', 'u1', -1, 1249, 4, 'open', 'key-1', 40)")).rejects.toThrow(/UNIQUE/);
    await expect(
      run(
        "INSERT INTO openings (id, user_id, case_id, case_version, price, ledger_id, seed_id, client_seed, nonce, roll, item_id, item_name, item_rarity, item_value, item_kind, created_at) VALUES ('o3', 'u1', 'c1', 1, 500, 'no-such-entry', 's1', 'client', 2, 7, 'i1', 'Prize', 'common', 250, 'money', 40)",
      ),
    ).rejects.toThrow(/FOREIGN KEY/);

    // 0004: the previous code, serving for a moment after the migration, still inserts openings as it
    // did (no `source`: the default says it is a case roll) and settles them.
    await insertLedgerRow("l5", -500, 750, 4, "open", 50);
    await run(
      "INSERT INTO openings (id, user_id, case_id, case_version, price, ledger_id, seed_id, client_seed, nonce, roll, item_id, item_name, item_rarity, item_value, item_kind, status, created_at) VALUES ('o4', 'u1', 'c1', 1, 500, 'l5', 's1', 'client', 2, 7, 'i2', 'Skin', 'common', 300, 'skin', 'owned', 50)",
    );
    expect(await all("SELECT source FROM openings WHERE id = 'o4'")).toEqual([{ source: "case" }]);
    // This code's upgrade: a zero-delta entry, the staked item flipped to `upgraded`, the upgrade row.
    await insertLedgerRow("l6", 0, 750, 5, "upgrade", 60);
    await run("UPDATE openings SET status = 'upgraded', settled_ledger_id = 'l6', settled_at = 60 WHERE id = 'o4'");
    const upgrade =
      "INSERT INTO upgrades (id, user_id, seed_id, client_seed, nonce, roll, staked_count, staked_value, house_edge, chance, target_item_id, target_case_id, target_case_version, target_name, target_rarity, target_value, won_opening_id, created_at) VALUES (?, 'u1', 's1', 'client', 3, ?, 1, 300, 500, 2850, 'i3', 'c1', 1, 'Target', 'covert', 1000, ?, ?)";
    await run(upgrade, "l6", 500_000, null, 60);
    expect(await all("SELECT status FROM openings WHERE id = 'o4'")).toEqual([{ status: "upgraded" }]);
    // Its constraints: an upgrade needs its ledger entry, and its outcome is its roll.
    await expect(run(upgrade, "no-such-entry", 500_000, null, 60)).rejects.toThrow(/FOREIGN KEY/);
    await insertLedgerRow("l7", 0, 750, 6, "upgrade", 70);
    await expect(run(upgrade, "l7", 1_000, null, 70)).rejects.toThrow(/upgrades_outcome_is_the_roll/);
    await expect(run(upgrade, "l7", 500_000, "o9", 70)).rejects.toThrow(/upgrades_outcome_is_the_roll/);
    await expect(run("UPDATE openings SET status = 'lost' WHERE id = 'o4'")).rejects.toThrow(/openings_status_valid/);
    expect(await all("PRAGMA foreign_key_check")).toEqual([]);
  });

  it("0003 adds the log-in throttle's table, clustered, and changes nothing the previous code uses", async () => {
    await applyD1Migrations(db, migrations);
    const [table] = await all<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'login_failures'");
    expect(table?.sql).toContain("WITHOUT ROWID");
    expect(await all("SELECT name FROM sqlite_master WHERE tbl_name = 'login_failures' AND type = 'index' AND sql IS NOT NULL")).toEqual([]);
    const previous = migrations.findIndex((m) => m.name.startsWith("0003"));
    expect(migrations[previous]?.queries.every((q) => /^\s*(--[^\n]*\n\s*)*CREATE TABLE `login_failures`/.test(q))).toBe(true);
  });
});

/** A ledger row of u1 with the given id, delta, balance after, account version, reason and time. */
function insertLedgerRow(id: string, delta: number, balanceAfter: number, version: number, reason: string, at: number) {
  return run("INSERT INTO ledger (id, user_id, delta, balance_after, account_version, reason, created_at) VALUES (?, 'u1', ?, ?, ?, ?, ?)", id, delta, balanceAfter, version, reason, at);
}
