#!/usr/bin/env node
// `node bench/request-latency.mjs [--ref=<git ref>]`: what one request costs end to end on an idle
// runtime, by how much D1 work it does — the floor under the fan-out figure at small N, where the
// admin save's round trips come before the publish (BENCHMARKS.md, recommendation 2).
// Sequential requests straight to the runtime; medians and p90 of 40 each, after 5 warm-ups.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { findRuntime, migratedProduct, startWrangler } from "./lib/dev.mjs";
import { expectStatus, request } from "./lib/api.mjs";
import { median, quantile, round } from "./lib/stats.mjs";
import { seedDemo } from "../scripts/lib/seed-demo.mjs";

const REPEATS = 40;
const tmp = mkdtempSync(path.join(tmpdir(), "cyberhub-latency-"));
try {
  const { tree, state } = migratedProduct(tmp);
  const server = await startWrangler({ name: "product-latency", root: tree, stateDir: state });
  try {
    const rt = await findRuntime(server);
    const { admin } = await seedDemo(server.url, state);
    const cases = await expectStatus(request(rt.url, "GET", "/api/cases"), 200, "list cases");
    const target = cases.body.cases[0];
    const detail = await expectStatus(request(rt.url, "GET", `/api/admin/cases/${target.id}`, { token: admin.token }), 200, "admin case");
    const c = detail.body.case;
    const body = (price) => ({
      name: c.name,
      slug: c.slug,
      imageUrl: c.imageUrl,
      price,
      active: true,
      items: c.items.map(({ id, name, rarity, value, kind, weight, imageUrl }) => ({ id, name, rarity, value, kind, weight, imageUrl })),
    });

    const rows = [];
    const measure = async (label, roundTrips, send) => {
      const ms = [];
      for (let i = 0; i < REPEATS + 5; i++) {
        const t = performance.now();
        const res = await send(i);
        if (res.status >= 300) throw new Error(`${label}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        if (i >= 5) ms.push(performance.now() - t);
      }
      rows.push({ request: label, d1RoundTrips: roundTrips, medianMs: round(median(ms)), p90Ms: round(quantile(ms, 0.9)) });
    };
    await measure("GET /health (D1 SELECT 1 + Broadcaster RPC)", 1, () => request(rt.url, "GET", "/health"));
    await measure("GET /api/auth/me", 1, () => request(rt.url, "GET", "/api/auth/me", { token: admin.token }));
    await measure("GET /api/cases", 1, () => request(rt.url, "GET", "/api/cases"));
    await measure("PUT /api/admin/cases/:id (price toggles; publishes cases:updated)", 2, (i) =>
      request(rt.url, "PUT", `/api/admin/cases/${target.id}`, { token: admin.token, body: body(c.price + (i % 2)) }),
    );
    console.table(rows);
  } finally {
    await server.stop();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
