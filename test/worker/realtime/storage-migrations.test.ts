import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { Broadcaster } from "../../../src/realtime/broadcaster";
import { LobbyShard } from "../../../src/realtime/lobby-shard";
import { migrateStorage, type StorageMigration } from "../../../src/realtime/storage-migrations";
import { lobbyShard } from "../../../src/realtime/stubs";
import { closeAll, connectShard, isLobbyEvents, isLobbyWelcome } from "./sockets";
import { rowsWrittenBy, wake } from "./storage";

afterEach(closeAll);

const tables = (sql: SqlStorage) =>
  sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .toArray()
    .map((row) => row.name);

const versionOf = (sql: SqlStorage) => sql.exec<{ version: number }>("SELECT version FROM storage_version").one().version;

/** Steps that record that they ran, in a table of their own. */
const recording = (names: string[]): StorageMigration[] =>
  names.map((name) => ({
    name,
    up(sql) {
      sql.exec("CREATE TABLE IF NOT EXISTS ran (name TEXT NOT NULL)");
      sql.exec("INSERT INTO ran (name) VALUES (?)", name);
    },
  }));

/** Runs `test` on the blank storage of an object no code path addresses. */
function onBlankStorage(test: (storage: DurableObjectStorage) => void | Promise<void>) {
  const stub = env.LOBBY_SHARD.get(env.LOBBY_SHARD.idFromName(`storage-test-${crypto.randomUUID()}`));
  return runInDurableObject(stub, async (_shard: LobbyShard, state) => {
    for (const table of tables(state.storage.sql)) state.storage.sql.exec(`DROP TABLE ${table}`);
    await test(state.storage);
  });
}

describe("storage migrations", () => {
  it("run each step once, in order, and on a later version only the new steps", async () => {
    await onBlankStorage((storage) => {
      const ran = () => storage.sql.exec<{ name: string }>("SELECT name FROM ran").toArray().map((row) => row.name);
      expect(migrateStorage(storage, recording(["one", "two"]))).toEqual({ from: 0, to: 2 });
      expect(ran()).toEqual(["one", "two"]);
      expect(migrateStorage(storage, recording(["one", "two"]))).toEqual({ from: 2, to: 2 });
      expect(migrateStorage(storage, recording(["one", "two", "three"]))).toEqual({ from: 2, to: 3 });
      expect(ran()).toEqual(["one", "two", "three"]);
      expect(versionOf(storage.sql)).toBe(3);
    });
  });

  it("stop at a failing step with its changes undone, the steps before it kept", async () => {
    await onBlankStorage((storage) => {
      const failing: StorageMigration = {
        name: "fails halfway",
        up(sql) {
          sql.exec("CREATE TABLE half (id INTEGER)");
          throw new Error("step failed");
        },
      };
      expect(() => migrateStorage(storage, [...recording(["one"]), failing])).toThrow("step failed");
      expect(versionOf(storage.sql)).toBe(1);
      expect(tables(storage.sql)).toEqual(["ran", "storage_version"]);
    });
  });

  it("leave storage newer than the code as it is (a rollback)", async () => {
    await onBlankStorage((storage) => {
      migrateStorage(storage, recording(["one", "two"]));
      expect(migrateStorage(storage, recording(["one"]))).toEqual({ from: 2, to: 2 });
      expect(versionOf(storage.sql)).toBe(2);
    });
  });
});

describe("objects written by the previous version", () => {
  it("a lobby shard drops its stored index, keeps its catalogue log, and upgrades once", async () => {
    const index = 12;
    await runInDurableObject(lobbyShard(env, index), async (_shard: LobbyShard, state) => {
      const sql = state.storage.sql;
      for (const table of tables(sql)) sql.exec(`DROP TABLE ${table}`);
      sql.exec("CREATE TABLE catalog_log (version INTEGER PRIMARY KEY, event TEXT NOT NULL)");
      for (const version of [3, 4]) {
        sql.exec("INSERT INTO catalog_log (version, event) VALUES (?, ?)", version, JSON.stringify({ event: "cases:updated", data: { version, caseId: "c", action: "updated" } }));
      }
      sql.exec("CREATE TABLE shard (id INTEGER PRIMARY KEY CHECK (id = 1), shard_index INTEGER NOT NULL)");
      sql.exec("INSERT INTO shard (id, shard_index) VALUES (1, ?)", index);

      await wake(LobbyShard, state);
      expect(tables(sql)).toEqual(["catalog_log", "recent_drops", "storage_version"]);
      expect(versionOf(sql)).toBe(2);

      // The next wake reruns nothing (a table the upgrade drops stays) and writes no row.
      sql.exec("CREATE TABLE shard (id INTEGER PRIMARY KEY)");
      expect(await rowsWrittenBy(sql, () => wake(LobbyShard, state))).toBe(0);
      expect(tables(sql)).toEqual(["catalog_log", "recent_drops", "shard", "storage_version"]);
      sql.exec("DROP TABLE shard");
    });
    const socket = await connectShard(index);
    socket.ws.send(JSON.stringify({ type: "resume-lobby", catalogVersion: 3 }));
    expect((await socket.next(isLobbyEvents)).events).toEqual([{ event: "cases:updated", data: { version: 4, caseId: "c", action: "updated" } }]);
    expect(await socket.next(isLobbyWelcome)).toMatchObject({ catalogVersion: 4 });
  });

  it("a broadcaster keeps its pending drops (due at once) and presence, and upgrades once", async () => {
    const stub = env.BROADCASTER.get(env.BROADCASTER.idFromName(`storage-test-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_broadcaster: Broadcaster, state) => {
      const sql = state.storage.sql;
      // As the first version left it: its one table of pending drops, without reveal times.
      for (const table of tables(sql)) sql.exec(`DROP TABLE ${table}`);
      sql.exec("CREATE TABLE pending_drops (id INTEGER PRIMARY KEY AUTOINCREMENT, drop_json TEXT NOT NULL)");
      sql.exec("CREATE TABLE presence (kind TEXT NOT NULL, key TEXT NOT NULL, sockets INTEGER NOT NULL, reported_at INTEGER NOT NULL, PRIMARY KEY (kind, key))");
      sql.exec("INSERT INTO pending_drops (drop_json) VALUES ('{}')");
      sql.exec("INSERT INTO presence (kind, key, sockets, reported_at) VALUES ('hub', 'u1', 2, ?)", Date.now());

      await wake(Broadcaster, state);
      expect(versionOf(sql)).toBe(4);
      expect(sql.exec("SELECT COUNT(*) AS n FROM pending_drops WHERE reveal_at = 0").one().n).toBe(1);
      // The third step adds the catalogue log new shards are seeded from and the directory's row; the
      // fourth, the table of the generated resume key.
      expect(tables(sql)).toEqual(expect.arrayContaining(["catalog_log", "directory", "secrets"]));
      expect(await rowsWrittenBy(sql, () => wake(Broadcaster, state))).toBe(0);
    });
    expect(await stub.stats()).toMatchObject({ players: 1, userClients: 2 });
  });
});
