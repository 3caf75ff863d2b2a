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
  await run("INSERT INTO cases (id, slug, name, image_url, price, active, version, created_at, updated_at) VALUES ('c1', 'starter', 'Starter', NULL, 500, 1, 2, 1, 5)");
  const item = "INSERT INTO case_items (id, case_id, position, name, image_url, rarity, value, kind, weight) VALUES (?, 'c1', ?, ?, NULL, 'consumer', ?, ?, ?)";
  await run(item, "i1", 0, "Prize", 250, "money", 3);
  await run(item, "i2", 1, "Skin", 10, "skin", 7);
}

describe("migrations", () => {
  it("0001 clusters ledger and openings without losing a row or a reference; 0002 moves the nonce counter; 0004 adds upgrades; 0005 rebuilds cases and their items", async () => {
    await applyD1Migrations(db, upTo("0000"));
    await seedHistory();
    const before = {
      ledger: await all("SELECT * FROM ledger ORDER BY id"),
      openings: await all("SELECT * FROM openings ORDER BY id"),
      cases: await all<Record<string, unknown>>("SELECT * FROM cases ORDER BY id"),
      items: await all("SELECT * FROM case_items ORDER BY id"),
    };

    await applyD1Migrations(db, migrations);

    // 0005 rebuilt cases and case_items: every row kept (no cascade on the way), cases are paid.
    expect(await all("SELECT * FROM cases ORDER BY id")).toEqual(before.cases.map((c) => ({ ...c, free_cooldown_seconds: null })));
    expect(await all("SELECT * FROM case_items ORDER BY id")).toEqual(before.items);

    // 0007 adds the house's float entry, nothing else.
    expect(await all("SELECT * FROM ledger WHERE user_id = 'u1' ORDER BY id")).toEqual(before.ledger);
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

  it("0005: cases keep their constraints and the items' cascade; free claims are clustered; a free opening needs its claim", async () => {
    await applyD1Migrations(db, migrations);
    const tables = await all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('cases', 'case_items', 'free_claims') ORDER BY name");
    expect(tables.map((t) => t.name)).toEqual(["case_items", "cases", "free_claims"]);
    for (const t of tables) expect(t.sql).not.toContain("__new_");
    expect(tables.find((t) => t.name === "free_claims")?.sql).toContain("WITHOUT ROWID");
    const indexes = await all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('cases', 'case_items') AND sql IS NOT NULL ORDER BY name");
    expect(indexes.map((i) => i.name)).toEqual(["case_items_case_idx", "cases_active_idx", "cases_slug_unique"]);

    await run("INSERT INTO cases (id, slug, name, price, free_cooldown_seconds, created_at, updated_at) VALUES ('f1', 'daily', 'Daily', 0, 86400, 1, 1)");
    await run("INSERT INTO case_items (id, case_id, position, name, rarity, value, kind, weight) VALUES ('fi1', 'f1', 0, 'Cash', 'consumer', 5, 'money', 1)");
    // What the previous code writes (no cooldown) must be a paid case; a free case costs nothing.
    await expect(run("INSERT INTO cases (id, slug, name, price, created_at, updated_at) VALUES ('f2', 'zero', 'Zero', 0, 1, 1)")).rejects.toThrow(/CHECK/);
    await expect(run("UPDATE cases SET price = 100 WHERE id = 'f1'")).rejects.toThrow(/CHECK/);
    await run("DELETE FROM cases WHERE id = 'f1'");
    expect(await all("SELECT id FROM case_items WHERE case_id = 'f1'")).toEqual([]);

    await run("INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES ('u9', 'u9@example.test', 'U9', 'x', 1)");
    const entry = "INSERT INTO ledger (id, user_id, delta, balance_after, account_version, reason, created_at) VALUES (?, 'u9', 0, 0, 1, 'open', 1)";
    await expect(run(entry, "l-unclaimed")).rejects.toThrow(/free claim/);
    await run("INSERT INTO free_claims (user_id, case_id, last_opened_at, ledger_id) VALUES ('u9', 'f1', 1, 'l-claimed')");
    await run(entry, "l-claimed");
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

  it("0006 adds promo codes and their redemptions (clustered by account), new tables only", async () => {
    await applyD1Migrations(db, migrations);
    const tables = await all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('promo_codes', 'promo_redemptions') ORDER BY name");
    expect(tables.map((t) => t.name)).toEqual(["promo_codes", "promo_redemptions"]);
    expect(tables[1]?.sql).toContain("WITHOUT ROWID");
    const step = migrations.find((m) => m.name.startsWith("0006"));
    expect(step?.queries.every((q) => /^\s*(--[^\n]*\n\s*)*CREATE (TABLE|UNIQUE INDEX) `promo_/.test(q))).toBe(true);
    await run("INSERT INTO promo_codes (id, code, amount, max_uses, uses, created_at) VALUES ('p1', 'X', 100, 1, 1, 1)");
    await expect(run("UPDATE promo_codes SET uses = 2 WHERE id = 'p1'")).rejects.toThrow(/CHECK/);
  });

  it("0007 adds battles and clustered seats, rebuilds openings for battle items without losing a row, and seeds the house with its ledger", async () => {
    await applyD1Migrations(db, migrations);
    const tables = await all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('battles', 'battle_seats', 'openings') ORDER BY name");
    expect(tables.map((t) => t.name)).toEqual(["battle_seats", "battles", "openings"]);
    for (const t of tables) expect(t.sql).not.toContain("__new_");
    expect(tables.find((t) => t.name === "battle_seats")?.sql).toContain("WITHOUT ROWID");
    expect(tables.find((t) => t.name === "openings")?.sql).toContain("WITHOUT ROWID");
    // The house: Σ ledger = balance from the start, and no password that verifies.
    const house = await all<{ balance: number; total: number; password_hash: string }>(
      "SELECT balance, password_hash, (SELECT SUM(delta) FROM ledger WHERE user_id = users.id) AS total FROM users WHERE id = '00000000-0000-4000-8000-000000000001'",
    );
    expect(house).toEqual([{ balance: 100_000_000, total: 100_000_000, password_hash: "!" }]);

    await run("INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES ('b1', 'b1@example.test', 'B1', 'x', 1)");
    const battle =
      "INSERT INTO battles (id, creator_id, format, mode, status, seat_count, seats_taken, rounds, entry, server_seed, server_seed_hash, round_ms, created_at, expires_at, started_at) VALUES (?, 'b1', '1v1', 'classic', ?, 2, ?, '[]', 100, 's', 'h', 4000, 1, 2, ?)";
    await run(battle, "bt1", "waiting", 1, null);
    // A running battle is full and has a start; seats never exceed the format's.
    await expect(run(battle, "bt2", "running", 1, 5)).rejects.toThrow(/battles_started_full/);
    await expect(run(battle, "bt3", "waiting", 3, null)).rejects.toThrow(/battles_seats_valid/);
    const seat = "INSERT INTO battle_seats (battle_id, seat, user_id, bot, display_name, client_seed, ledger_id, joined_at) VALUES ('bt1', ?, ?, ?, 'x', 'c', 'l', 1)";
    await run(seat, 1, "b1", 0);
    await expect(run(seat, 1, null, 1)).rejects.toThrow(/UNIQUE/);
    await expect(run(seat, 2, "b1", 0)).rejects.toThrow(/UNIQUE/);
    await expect(run(seat, 2, "b1", 1)).rejects.toThrow(/battle_seats_bot_has_no_user/);
    // Bots have no user: two of them in one battle do not collide.
    await run(seat, 2, null, 1);
    await run(seat, 3, null, 1);
    expect(tables.find((t) => t.name === "openings")?.sql).toContain("'case', 'upgrade', 'battle'");
  });
});

/** A ledger row of u1 with the given id, delta, balance after, account version, reason and time. */
function insertLedgerRow(id: string, delta: number, balanceAfter: number, version: number, reason: string, at: number) {
  return run("INSERT INTO ledger (id, user_id, delta, balance_after, account_version, reason, created_at) VALUES (?, 'u1', ?, ?, ?, ?, ?)", id, delta, balanceAfter, version, reason, at);
}
