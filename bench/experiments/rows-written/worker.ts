// D1 rows written for one ledger-like insert, by layout:
//   rowid      TEXT primary key (automatic index) + (user_id, created_at, id) index — today's ledger/openings
//   clustered  WITHOUT ROWID, primary key (user_id, created_at, id), no other index
//   id-pk      WITHOUT ROWID, primary key id, + (user_id, created_at, id) index
// and what a lookup by id costs in rows read with and without user_id in the predicate.
interface ExperimentEnv {
  DB: D1Database;
}

const LAYOUTS: Record<string, string[]> = {
  rowid: [
    "CREATE TABLE IF NOT EXISTS t_rowid (id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, delta INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS t_rowid_user ON t_rowid (user_id, created_at, id)",
  ],
  clustered: [
    "CREATE TABLE IF NOT EXISTS t_clustered (id TEXT NOT NULL, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, delta INTEGER NOT NULL, PRIMARY KEY (user_id, created_at, id)) WITHOUT ROWID",
  ],
  "id-pk": [
    "CREATE TABLE IF NOT EXISTS t_idpk (id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, delta INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS t_idpk_user ON t_idpk (user_id, created_at, id)",
  ],
};
const TABLE: Record<string, string> = { rowid: "t_rowid", clustered: "t_clustered", "id-pk": "t_idpk" };

export default {
  async fetch(request: Request, env: ExperimentEnv): Promise<Response> {
    if (new URL(request.url).pathname === "/health") return new Response("ok");
    const out: Record<string, Record<string, number>> = {};
    for (const [layout, ddl] of Object.entries(LAYOUTS)) {
      for (const statement of ddl) await env.DB.exec(statement);
      const table = TABLE[layout] ?? "";
      // 20 other users' rows and 20 of u1's first, so scans show up in rows read
      for (let i = 0; i < 40; i++) {
        await env.DB.prepare(`INSERT INTO ${table} (id, user_id, created_at, delta) VALUES (?, ?, ?, 1)`).bind(crypto.randomUUID(), i % 2 ? "u1" : `other${i}`, i).run();
      }
      const id = crypto.randomUUID();
      const at = 1_000;
      const insert = await env.DB.prepare(`INSERT INTO ${table} (id, user_id, created_at, delta) VALUES (?, 'u1', ?, -250)`).bind(id, at).run();
      const byId = await env.DB.prepare(`SELECT * FROM ${table} WHERE id = ?`).bind(id).all();
      const byUserAndId = await env.DB.prepare(`SELECT * FROM ${table} WHERE user_id = 'u1' AND id = ?`).bind(id).all();
      const byKey = await env.DB.prepare(`SELECT * FROM ${table} WHERE user_id = 'u1' AND created_at = ? AND id = ?`).bind(at, id).all();
      out[layout] = {
        insertRowsWritten: insert.meta.rows_written,
        selectByIdRowsRead: byId.meta.rows_read,
        selectByUserAndIdRowsRead: byUserAndId.meta.rows_read,
        selectByFullKeyRowsRead: byKey.meta.rows_read,
      };
    }
    return Response.json(out);
  },
} satisfies ExportedHandler<ExperimentEnv>;
