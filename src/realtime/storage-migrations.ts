import { log } from "../lib/log";

/**
 * One step of a Durable Object's SQLite schema. An object's steps form one append-only list: the
 * n-th step upgrades storage at version n - 1 to version n, and is never edited once released.
 */
export interface StorageMigration {
  name: string;
  up(sql: SqlStorage): void;
}

/**
 * Brings an object's storage to the newest version before the object handles any event. Call it
 * in the constructor: the steps run inside blockConcurrencyWhile, so no request, socket message or
 * alarm sees a half-upgraded schema, and a step that throws resets the object instead (the next
 * event retries the upgrade).
 */
export function upgradeStorage(ctx: DurableObjectState, migrations: readonly StorageMigration[]): void {
  void ctx.blockConcurrencyWhile(async () => {
    const { from, to } = migrateStorage(ctx.storage, migrations);
    if (from !== to) log("info", "storage_migrated", { object: ctx.id.name, from, to, steps: migrations.slice(from).map((m) => m.name) });
  });
}

/**
 * Runs the steps this storage has not run yet, each in its own transaction with the version row it
 * moves. Once storage is current, a wake costs one read and writes nothing.
 */
export function migrateStorage(storage: DurableObjectStorage, migrations: readonly StorageMigration[]): { from: number; to: number } {
  const sql = storage.sql;
  // A row, not `PRAGMA user_version`: Durable Object SQLite refuses that pragma (SQLITE_AUTH).
  sql.exec("CREATE TABLE IF NOT EXISTS storage_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)");
  const from = sql.exec<{ version: number }>("SELECT version FROM storage_version WHERE id = 1").toArray()[0]?.version ?? 0;
  // Storage newer than this code (after a rollback) is left as it is: like the D1 migrations, each
  // step must leave storage the previous code still works with.
  if (from >= migrations.length) return { from, to: from };
  migrations.slice(from).forEach((migration, i) => {
    storage.transactionSync(() => {
      migration.up(sql);
      sql.exec(
        "INSERT INTO storage_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        from + i + 1,
      );
    });
  });
  return { from, to: migrations.length };
}
