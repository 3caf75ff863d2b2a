#!/usr/bin/env node
// `npm run bench:fanout-profile`: where the lobby fan-out's time goes. One product runtime (the
// bench/profile/worker.ts entry), N lobby sockets, and the same `cases:updated` frame sent by
// entering the path at four depths: the admin route (D1 + everything), Broadcaster.publish,
// LobbyShard.deliver with the catalogue write, LobbyShard.deliver without it. Plus the bare
// ceiling DO in the same run.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "../scripts/lib/dev-server.mjs";
import { seedDemo, DEMO_CASES } from "../scripts/lib/seed-demo.mjs";
import { startWrangler, migratedProduct, findRuntime } from "./lib/dev.mjs";
import { call, expectStatus, request } from "./lib/api.mjs";
import { openSockets, closeSockets } from "./lib/sockets.mjs";
import { measureFanout } from "./fanout.mjs";
import { round } from "./lib/stats.mjs";

const N = (process.env.BENCH_N ?? "1000,2500").split(",").map(Number);
const repeats = Number(process.env.BENCH_REPEATS ?? 20);
const tmp = mkdtempSync(path.join(tmpdir(), "cyberhub-fanprof-"));
const servers = [];
const log = (...a) => console.error(`[fanout-profile ${new Date().toISOString().slice(11, 19)}]`, ...a);
const out = { at: new Date().toISOString(), repeats, rows: [] };
try {
  const { tree, state } = migratedProduct(tmp);
  const product = await startWrangler({ name: "product-profile", root: tree, stateDir: state, script: "bench/profile/worker.ts" });
  servers.push(product);
  const rt = await findRuntime(product);
  const ceiling = await startWrangler({ name: "ceiling-fanout", root: tree, stateDir: path.join(tmp, "ceiling"), config: "bench/ceilings/fanout/wrangler.toml" });
  servers.push(ceiling);
  const crt = await findRuntime(ceiling);
  const { admin } = await seedDemo(product.url, state);
  const list = await expectStatus(call(rt.url, "GET", "/api/admin/cases", { token: admin.token }), 200, "admin list");
  const target = list.body.cases.find((c) => c.slug === "cash-rush");
  const base = DEMO_CASES.find((c) => c.slug === "cash-rush");
  const items = target.items.map((it) => ({ id: it.id, name: it.name, imageUrl: it.imageUrl, rarity: it.rarity, value: it.value, kind: it.kind, weight: it.weight }));
  const paths = {
    "admin PUT /api/admin/cases/:id": (i) => expectStatus(request(rt.url, "PUT", `/api/admin/cases/${target.id}`, { token: admin.token, body: { ...base, name: `Cash Rush ${i % 2}`, items } }), 200, "admin save"),
    "Broadcaster.publish": () => expectStatus(request(rt.url, "POST", "/api/__bench/lobby-publish"), 200, "publish"),
    "LobbyShard.deliver (with catalogue write)": () => expectStatus(request(rt.url, "POST", "/api/__bench/shard-deliver"), 200, "deliver"),
    "LobbyShard.deliver (send only)": () => expectStatus(request(rt.url, "POST", "/api/__bench/shard-send"), 200, "send"),
  };
  for (const n of N) {
    const ps = await openSockets(rt.url.replace("http", "ws") + "/ws/lobby", n, { concurrency: 50 });
    const cs = await openSockets(crt.url.replace("http", "ws") + "/ws", n, { concurrency: 50 });
    await new Promise((r) => setTimeout(r, 3_000));
    for (let round_ = 0; round_ < 2; round_++) {
      const c = await measureFanout(cs, () => expectStatus(request(crt.url, "POST", "/send"), 200, "ceiling"), (t) => t.includes("cases:updated"), repeats);
      out.rows.push({ n, path: "ceiling: bare DO send loop", ...c, runs: undefined });
      log(`N=${n} ceiling: last ${c.lastMedian} first ${c.firstMedian} http ${c.httpMedian}`);
      for (const [name, trigger] of Object.entries(paths)) {
        const f = await measureFanout(ps, trigger, (t) => t.includes('"cases:updated"'), repeats);
        out.rows.push({ n, path: name, ...f, runs: undefined, ratioToCeiling: round(f.lastMedian / c.lastMedian) });
        log(`N=${n} ${name}: last ${f.lastMedian} first ${f.firstMedian} http ${f.httpMedian} (${round(f.lastMedian / c.lastMedian)}× ceiling)`);
      }
    }
    await closeSockets(ps);
    await closeSockets(cs);
  }
  mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench", "results", "latest-fanout-profile.json"), JSON.stringify(out, null, 2));
  console.log("| N | entered at | last socket median ms | first socket ms | HTTP ms | ratio to ceiling (same round) |\n| --- | --- | --- | --- | --- | --- |");
  for (const r of out.rows) console.log(`| ${r.n} | ${r.path} | ${r.lastMedian} | ${r.firstMedian} | ${r.httpMedian} | ${r.ratioToCeiling ?? 1} |`);
} finally {
  for (const s of servers) await s.stop();
  rmSync(tmp, { recursive: true, force: true });
}
