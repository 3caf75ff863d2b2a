// The opening-throughput ceiling: one D1 round trip with one `UPDATE … RETURNING` per request,
// over the same number of rows as the product's player pool. Nothing else.
interface CeilingEnv {
  DB: D1Database;
}

export default {
  async fetch(request: Request, env: CeilingEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname === "/setup" && request.method === "POST") {
      const rows = Number(url.searchParams.get("rows") ?? "50");
      await env.DB.exec("CREATE TABLE IF NOT EXISTS counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)");
      const insert = env.DB.prepare("INSERT OR IGNORE INTO counters (id, n) VALUES (?, 0)");
      await env.DB.batch(Array.from({ length: rows }, (_, i) => insert.bind(i)));
      return Response.json({ rows });
    }
    if (url.pathname === "/bump" && request.method === "POST") {
      const id = Number(url.searchParams.get("id") ?? "0");
      const row = await env.DB.prepare("UPDATE counters SET n = n + 1 WHERE id = ? RETURNING n").bind(id).first<{ n: number }>();
      return Response.json({ n: row?.n ?? null }, { status: 201 });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<CeilingEnv>;
