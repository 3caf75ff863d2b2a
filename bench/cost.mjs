// Cost per operation, exact (not timed): D1 round trips, statements, rows read/written and Durable
// Object calls, as counted by bench/cost/worker.ts around the product (see that file), then priced.
import { call, expectStatus } from "./lib/api.mjs";
import { DEMO_CASES } from "../scripts/lib/seed-demo.mjs";
import { median } from "./lib/stats.mjs";

/** Cloudflare's published prices (Workers Paid, usage beyond the included amounts), USD. */
export const PRICES = {
  workerRequestPerM: 0.3, // Workers Standard: $0.30 / million requests
  d1RowReadPerM: 0.001, // D1: $0.001 / million rows read
  d1RowWrittenPerM: 1.0, // D1: $1.00 / million rows written
  doRequestPerM: 0.15, // Durable Objects: $0.15 / million requests (each RPC call is one)
  sources: {
    workers: "https://developers.cloudflare.com/workers/platform/pricing/ (as restated on https://developers.cloudflare.com/workflows/reference/pricing/: 'identical to Workers Standard': $0.30/M requests, $0.02/M CPU-ms)",
    d1: "https://developers.cloudflare.com/d1/platform/pricing/ ($0.001/M rows read, $1.00/M rows written)",
    durableObjects: "https://developers.cloudflare.com/durable-objects/platform/pricing/ ($0.15/M requests; every RPC method call is a billed request; incoming WebSocket messages 20:1)",
  },
};

function costOf(res) {
  const header = res.headers["x-bench-cost"];
  if (!header) throw new Error(`no x-bench-cost header (HTTP ${res.status})`);
  return JSON.parse(header);
}

export function pricePerMillion(c) {
  const doCalls = Object.values(c.doCalls).reduce((a, b) => a + b, 0);
  return (
    PRICES.workerRequestPerM + (c.rowsRead * PRICES.d1RowReadPerM) + (c.rowsWritten * PRICES.d1RowWrittenPerM) + (doCalls * PRICES.doRequestPerM)
  );
}

function summarize(label, samples) {
  const first = samples[0];
  const same = samples.every((s) => s.d1RoundTrips === first.d1RoundTrips && s.rowsRead === first.rowsRead && s.rowsWritten === first.rowsWritten);
  const pick = (k) => samples.map((s) => s[k]);
  const range = (k) => {
    const v = pick(k);
    const lo = Math.min(...v), hi = Math.max(...v);
    return lo === hi ? lo : `${lo}–${hi}`;
  };
  const doCalls = Object.values(first.doCalls).reduce((a, b) => a + b, 0);
  return {
    op: label,
    samples: samples.length,
    stable: same,
    d1RoundTrips: range("d1RoundTrips"),
    d1Statements: range("d1Statements"),
    rowsRead: range("rowsRead"),
    rowsWritten: range("rowsWritten"),
    // D1's reported SQL time per operation (median over samples) and per statement.
    d1Ms: median(pick("d1Ms")),
    d1MsPerStatement: median(samples.map((s) => s.d1Ms / Math.max(1, s.d1Statements))),
    doCalls,
    doCallDetail: first.doCalls,
    usdPerMillion: Math.max(...samples.map(pricePerMillion)),
    statements: first.statements,
  };
}

/** Runs every measured operation `repeats` times against the cost server. */
export async function measureCosts(url, { admin, player, repeats = 5, bulkOpens = 300 }) {
  const out = [];
  const t = player.token;
  const sample = async (fn, n = repeats) => {
    const s = [];
    for (let i = 0; i < n; i++) s.push(costOf(await fn(i)));
    return s;
  };

  out.push(summarize("GET /api/cases (fresh database)", await sample(() => expectStatus(call(url, "GET", "/api/cases"), 200, "list cases"))));
  out.push(summarize("open ×1", await sample(() => expectStatus(call(url, "POST", "/api/cases/starter/open", { token: t, body: { count: 1 } }), 201, "open x1"))));
  out.push(summarize("open ×5", await sample(() => expectStatus(call(url, "POST", "/api/cases/starter/open", { token: t, body: { count: 5 } }), 201, "open x5"))));

  // claim: a money prize from Cash Rush (every item is money); sell: a skin from Knife Dream (every item is a skin)
  const cash = [];
  const skins = [];
  for (let i = 0; i < repeats; i++) {
    cash.push((await expectStatus(call(url, "POST", "/api/cases/cash-rush/open", { token: t, body: { count: 1 } }), 201, "open cash")).body.items[0].id);
    skins.push((await expectStatus(call(url, "POST", "/api/cases/knife-dream/open", { token: t, body: { count: 1 } }), 201, "open skin")).body.items[0].id);
  }
  out.push(summarize("claim (one item)", await sample((i) => expectStatus(call(url, "POST", "/api/inventory/claim", { token: t, body: { itemId: cash[i] } }), 200, "claim"))));
  out.push(summarize("sell (one item)", await sample((i) => expectStatus(call(url, "POST", "/api/inventory/sell", { token: t, body: { itemId: skins[i] } }), 200, "sell"))));

  const list = await expectStatus(call(url, "GET", "/api/admin/cases", { token: admin.token }), 200, "admin list");
  const starter = list.body.cases.find((c) => c.slug === "starter");
  const base = DEMO_CASES.find((c) => c.slug === "starter");
  out.push(
    summarize(
      "admin case save (PUT, 6 items)",
      await sample((i) =>
        expectStatus(
          call(url, "PUT", `/api/admin/cases/${starter.id}`, {
            token: admin.token,
            body: { ...base, name: `Starter Case ${i}`, items: starter.items.map((it) => ({ id: it.id, name: it.name, imageUrl: it.imageUrl, rarity: it.rarity, value: it.value, kind: it.kind, weight: it.weight })) },
          }),
          200,
          "admin save",
        ),
      ),
    ),
  );

  // The catalogue read must not grow with the number of openings.
  for (let i = 0; i < bulkOpens; i++) await expectStatus(call(url, "POST", "/api/cases/starter/open", { token: t, body: { count: 5 } }), 201, "bulk open");
  const after = summarize(`GET /api/cases (after ${bulkOpens * 5} more openings)`, await sample(() => expectStatus(call(url, "GET", "/api/cases"), 200, "list cases")));
  const listed = (await call(url, "GET", "/api/cases")).body.cases.length;
  out.push({ ...after, returnedCases: listed });
  return out;
}
