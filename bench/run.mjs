#!/usr/bin/env node
// `npm run bench` (full) and `npm run bench:smoke` (tiny N). Starts its own wrangler dev servers
// (the product, the two ceilings, the cost-counting entry) with fresh state in a temp folder,
// drives them from 127.0.0.1 with bounded loops, stops everything it started, and writes
// bench/results/<stamp>.json plus a markdown summary next to it.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { ROOT } from "../scripts/lib/dev-server.mjs";
import { seedDemo, DEMO_CASES } from "../scripts/lib/seed-demo.mjs";
import { startWrangler, snapshot, migrate, findRuntime, rssBytes, openFiles, refArg } from "./lib/dev.mjs";
import { call, expectStatus, makePlayers, request } from "./lib/api.mjs";
import { openSockets, openOne, closeSockets } from "./lib/sockets.mjs";
import { median, quantile, round, ratio, sleep } from "./lib/stats.mjs";
import { ceilingLoad, openLoad } from "./throughput.mjs";
import { checkInvariant } from "./invariant.mjs";
import { measureCosts, PRICES } from "./cost.mjs";
import { measureFanout } from "./fanout.mjs";
import { renderMarkdown } from "./report.mjs";
import { withCpu } from "./lib/cpu.mjs";

const smoke = process.argv.includes("--smoke");
const only = (process.argv.find((a) => a.startsWith("--only=")) ?? "").slice(7).split(",").filter(Boolean);
const want = (part) => only.length === 0 || only.includes(part);
const ref = refArg();
// BENCH_DEFLATE=off measures fan-out without permessage-deflate only (the product's choice), in half the time.
const DEFLATES = process.env.BENCH_DEFLATE === "off" ? [false] : [false, true];

const CFG = smoke
  ? { players: 5, connections: 5, durationS: 2, warmupS: 1, rounds: 1, fanoutN: [20], memN: [20], repeats: 3, privateOpens: 10, privateIdle: 20, costRepeats: 2, bulkOpens: 10 }
  : { players: 50, connections: 50, durationS: 10, warmupS: 2, rounds: 3, fanoutN: [100, 1000, 2500], memN: [1000, 2500], repeats: 20, privateOpens: 200, privateIdle: 1000, costRepeats: 5, bulkOpens: 300 };

const started = [];
let TREE = ROOT;
const tmp = mkdtempSync(path.join(tmpdir(), "cyberhub-bench-"));
const results = { startedAt: new Date().toISOString(), mode: smoke ? "smoke" : "full", config: CFG, machine: machine(), notes: [] };
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

function machine() {
  const v = (cmd, args) => {
    try { return execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8" }).trim(); } catch { return "?"; }
  };
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model,
    memTotalGiB: round(totalmem() / 2 ** 30, 1),
    freeH: v("free", ["-h"]),
    node: process.version,
    wrangler: v(path.join(ROOT, "node_modules", ".bin", "wrangler"), ["--version"]).split("\n").pop(),
    workerd: v(path.join(ROOT, "node_modules", ".bin", "workerd"), ["--version"]),
    commit: v("git", ["rev-parse", "--short", "HEAD"]),
    dirty: v("git", ["status", "--porcelain", "--", "src"]).length > 0,
    loadavg: v("cat", ["/proc/loadavg"]),
  };
}

async function server(opts) {
  const s = await startWrangler({ root: TREE, ...opts });
  started.push(s);
  return s;
}
async function stop(s) {
  await s.stop();
  started.splice(started.indexOf(s), 1);
}

function wsUrl(httpUrl, p) {
  return httpUrl.replace(/^http/, "ws") + p;
}

// ---------------------------------------------------------------- throughput + invariant

async function throughput(product, ceiling, ceilingAssets, productState, players) {
  log("throughput: ceiling setup");
  await expectStatus(request(ceiling.runtime.url, "POST", `/setup?rows=${CFG.players}`), 200, "ceiling setup");
  await expectStatus(request(ceilingAssets.runtime.url, "POST", `/setup?rows=${CFG.players}`), 200, "ceiling setup");
  const rounds = [];
  let opened = 0;
  for (let r = 0; r < CFG.rounds; r++) {
    await ceilingLoad(ceiling.runtime.url, CFG.players, CFG.connections, CFG.warmupS);
    const c = await withCpu(ceiling.runtime.pid, () => ceilingLoad(ceiling.runtime.url, CFG.players, CFG.connections, CFG.durationS));
    log(`  ceiling round ${r + 1}: ${round(c.rps)} req/s p50 ${c.p50} p99 ${c.p99}, runtime CPU ${c.cpuMsPerReq} ms/req (${c.cpuUtil}% of one core)`);
    await ceilingLoad(ceilingAssets.runtime.url, CFG.players, CFG.connections, CFG.warmupS);
    const ca = await withCpu(ceilingAssets.runtime.pid, () => ceilingLoad(ceilingAssets.runtime.url, CFG.players, CFG.connections, CFG.durationS));
    log(`  ceiling behind the assets router, round ${r + 1}: ${round(ca.rps)} req/s p50 ${ca.p50} p99 ${ca.p99}, runtime CPU ${ca.cpuMsPerReq} ms/req`);
    const w = await openLoad(product.runtime.url, players, CFG.connections, CFG.warmupS);
    const p = await withCpu(product.runtime.pid, () => openLoad(product.runtime.url, players, CFG.connections, CFG.durationS));
    opened += w.ok + p.ok;
    log(`  product round ${r + 1}: ${round(p.rps)} req/s p50 ${p.p50} p99 ${p.p99} (non-2xx ${p.non2xx}, errors ${p.errors}), runtime CPU ${p.cpuMsPerReq} ms/req (${p.cpuUtil}% of one core)`);
    rounds.push({ ceiling: c, ceilingAssets: ca, product: p, warmupProduct: { ok: w.ok, non2xx: w.non2xx } });
  }
  const cRps = median(rounds.map((x) => x.ceiling.rps));
  const pRps = median(rounds.map((x) => x.product.rps));
  const pP50 = median(rounds.map((x) => x.product.p50));
  const pP99 = median(rounds.map((x) => x.product.p99));
  log("invariant check");
  // autocannon stops counting at the deadline while up to `connections` requests are still in flight;
  // those may still commit, so successful opens are between the 2xx count and 2xx + in-flight.
  const invariant = await checkInvariant(productState, { emailLike: "tp-%", minOpenings: opened, maxOpenings: opened + CFG.connections * CFG.rounds * 2 });
  return {
    connections: CFG.connections,
    durationS: CFG.durationS,
    rounds,
    ceiling: { rps: round(cRps), p50: median(rounds.map((x) => x.ceiling.p50)), p99: median(rounds.map((x) => x.ceiling.p99)), cpuMsPerReq: median(rounds.map((x) => x.ceiling.cpuMsPerReq)), cpuUtil: median(rounds.map((x) => x.ceiling.cpuUtil)) },
    ceilingAssets: { rps: round(median(rounds.map((x) => x.ceilingAssets.rps))), p50: median(rounds.map((x) => x.ceilingAssets.p50)), p99: median(rounds.map((x) => x.ceilingAssets.p99)), cpuMsPerReq: median(rounds.map((x) => x.ceilingAssets.cpuMsPerReq)), cpuUtil: median(rounds.map((x) => x.ceilingAssets.cpuUtil)) },
    ratioToAssetsCeiling: ratio(pRps, median(rounds.map((x) => x.ceilingAssets.rps))),
    product: { rps: round(pRps), p50: pP50, p99: pP99, cpuMsPerReq: median(rounds.map((x) => x.product.cpuMsPerReq)), cpuUtil: median(rounds.map((x) => x.product.cpuUtil)), non2xx: rounds.reduce((a, x) => a + x.product.non2xx, 0), errors: rounds.reduce((a, x) => a + x.product.errors, 0) },
    ratioToCeiling: ratio(pRps, cRps),
    p99OverP50: ratio(pP99, pP50),
    invariant,
  };
}

// ---------------------------------------------------------------- fan-out + memory (+ private)
async function lobbyAvailable(runtimeUrl) {
  try {
    const ws = await openOne(wsUrl(runtimeUrl, "/ws/lobby"));
    ws.close();
    return true;
  } catch (err) {
    return String(err.message ?? err);
  }
}

/** Grows the socket count through CFG.fanoutN, measuring fan-out and memory at each step. */
async function socketPhase({ label, target, deflate, socketPath, trigger, match, between }) {
  const out = { label, deflate, negotiated: null, steps: [] };
  const baseRss = rssBytes(target.runtime.pid);
  const sockets = [];
  try {
  for (const n of CFG.fanoutN) {
    const receivedBefore = sockets.reduce((a, ws) => a + ws.received, 0);
    const more = await openSockets(wsUrl(target.runtime.url, socketPath), n - sockets.length, { deflate, concurrency: 50 });
    sockets.push(...more);
    out.negotiated ??= sockets[0]?.extensions || "none";
    await sleep(2_000);
    const rss = rssBytes(target.runtime.pid);
    // frames that reached the already-open and the new sockets while the new ones connected (welcome, online counts…)
    const framesWhileConnecting = sockets.reduce((a, ws) => a + ws.received, 0) - receivedBefore;
    const f = await measureFanout(sockets, trigger, match, CFG.repeats);
    const step = { ...f, framesWhileConnecting, rssMiB: round(rss / 2 ** 20, 1), baseRssMiB: round(baseRss / 2 ** 20, 1), kibPerSocket: round((rss - baseRss) / 1024 / n, 1), runtimeFds: openFiles(target.runtime.pid) };
    log(`  ${label} deflate=${deflate} N=${n}: last ${step.lastMedian} ms (max ${step.lastMax}), http ${step.httpMedian} ms, ${step.kibPerSocket} KiB/socket`);
    if (between && n === CFG.privateIdle) out.private = await between(sockets);
    out.steps.push(step);
  }
  } catch (err) {
    let alive = false;
    try { alive = rssBytes(target.runtime.pid) > 0; } catch {}
    out.error = `${err.message}; runtime process ${alive ? "still running" : "gone"}`;
    out.logs = target.logs().slice(-3000);
    log(`  ${label} deflate=${deflate} FAILED: ${out.error}\n${out.logs}`);
  } finally {
    await closeSockets(sockets);
  }
  return out;
}

async function adminCaseTrigger(url, adminToken) {
  const list = await expectStatus(call(url, "GET", "/api/admin/cases", { token: adminToken }), 200, "admin list");
  const starter = list.body.cases.find((c) => c.slug === "cash-rush");
  const base = DEMO_CASES.find((c) => c.slug === "cash-rush");
  const items = starter.items.map((it) => ({ id: it.id, name: it.name, imageUrl: it.imageUrl, rarity: it.rarity, value: it.value, kind: it.kind, weight: it.weight }));
  return (i) => expectStatus(request(url, "PUT", `/api/admin/cases/${starter.id}`, { token: adminToken, body: { ...base, name: `Cash Rush ${i % 2}`, items } }), 200, "admin save");
}

// ---------------------------------------------------------------- private latency
async function userSocket(runtimeUrl, token) {
  const t = await call(runtimeUrl, "POST", "/api/realtime/ticket", { token });
  if (t.status !== 200 && t.status !== 201) throw new Error(`ticket: HTTP ${t.status} ${JSON.stringify(t.body)}`);
  const ticket = t.body.ticket;
  return openOne(wsUrl(runtimeUrl, `/ws/user?ticket=${encodeURIComponent(ticket)}`));
}

async function privateLatency(runtimeUrl, player, idleCount) {
  const ws = await userSocket(runtimeUrl, player.token);
  await sleep(500);
  const rows = [];
  let pending = null;
  ws.on("message", (data) => {
    if (!pending) return;
    const text = data.toString();
    const t = performance.now();
    if (pending.inv === undefined && text.includes('"inventory:updated"')) pending.inv = t;
    if (pending.bal === undefined && text.includes('"balance:updated"')) pending.bal = t;
    if (pending.inv !== undefined && pending.bal !== undefined) pending.done();
  });
  for (let i = 0; i < CFG.privateOpens; i++) {
    const p = { inv: undefined, bal: undefined };
    const got = new Promise((resolve, reject) => {
      p.done = resolve;
      setTimeout(() => reject(new Error("no private event within 10 s")), 10_000).unref();
    });
    pending = p;
    const t0 = performance.now();
    const res = await request(runtimeUrl, "POST", "/api/cases/starter/open", { token: player.token, body: { count: 1 } });
    const tHttp = performance.now();
    if (res.status !== 201) throw new Error(`open: HTTP ${res.status}`);
    await got;
    rows.push({ http: tHttp - t0, inventory: p.inv - t0, balance: p.bal - t0, invAfterHttp: p.inv - tHttp, balAfterHttp: p.bal - tHttp });
  }
  ws.close();
  const q = (k) => ({ p50: round(quantile(rows.map((r) => r[k]), 0.5)), p95: round(quantile(rows.map((r) => r[k]), 0.95)), p99: round(quantile(rows.map((r) => r[k]), 0.99)) });
  return {
    opens: rows.length,
    idleSockets: idleCount,
    http: q("http"),
    inventory: q("inventory"),
    balance: q("balance"),
    inventoryAfterHttp: q("invAfterHttp"),
    balanceAfterHttp: q("balAfterHttp"),
    beforeHttpShare: round(rows.filter((r) => r.invAfterHttp < 0).length / rows.length, 2),
  };
}

// ---------------------------------------------------------------- main
async function main() {
  log(`mode ${results.mode}, temp ${tmp}`);
  const productState = path.join(tmp, "product");
  const costState = path.join(tmp, "cost");
  mkdirSync(productState);
  mkdirSync(costState);
  TREE = snapshot(ref, tmp);
  results.tree = ref ? `git ref ${ref} (${execFileSync("git", ["rev-parse", "--short", ref], { cwd: ROOT, encoding: "utf8" }).trim()})` : "working tree (copied at start)";
  log(`measuring ${results.tree}`);
  migrate(TREE, productState);

  let product = await server({ name: "product", stateDir: productState });
  product.runtime = await findRuntime(product);
  const ceilingD1 = await server({ name: "ceiling-d1", stateDir: path.join(tmp, "ceiling-d1"), config: "bench/ceilings/d1/wrangler.toml" });
  ceilingD1.runtime = await findRuntime(ceilingD1);
  const ceilingAssets = await server({ name: "ceiling-d1-assets", stateDir: path.join(tmp, "ceiling-d1-assets"), config: "bench/ceilings/d1-assets/wrangler.toml" });
  ceilingAssets.runtime = await findRuntime(ceilingAssets);
  results.connection =
    "Load and sockets go straight to the workerd that runs the Worker and its Durable Objects (its own port, found from /proc and probed), bypassing wrangler's dev proxy, for the product and the ceilings alike; setup traffic (registration, seeding) uses the dev URL.";
  log("seeding");
  const { admin } = await seedDemo(product.url, productState);
  const players = await makePlayers(product.url, admin.token, CFG.players, 1_000_000_000 / 100, "tp");

  if (want("throughput")) {
    log("throughput");
    results.throughput = await throughput(product, ceilingD1, ceilingAssets, productState, players);
  }
  await stop(ceilingD1);
  await stop(ceilingAssets);

  if (want("cost")) {
    log("cost per operation");
    migrate(TREE, costState);
    const cost = await server({ name: "cost", stateDir: costState, script: "bench/cost/worker.ts" });
    try {
      const seeded = await seedDemo(cost.url, costState);
      const [player] = await makePlayers(cost.url, seeded.admin.token, 1, 1_000_000_000 / 10, "cost");
      results.cost = { prices: PRICES, ops: await measureCosts(cost.url, { admin: seeded.admin, player, repeats: CFG.costRepeats, bulkOpens: CFG.bulkOpens }) };
    } finally {
      await stop(cost);
    }
  }

  if (want("fanout") || want("ceiling-fanout") || want("product-fanout")) {
    const fanState = path.join(tmp, "ceiling-fanout");
    results.fanout = { ceiling: [], product: [] };
    for (const deflate of want("fanout") || want("ceiling-fanout") ? DEFLATES : []) {
      log(`fan-out ceiling, deflate=${deflate}`);
      const ceil = await server({ name: "ceiling-fanout", stateDir: fanState, config: "bench/ceilings/fanout/wrangler.toml" });
      ceil.runtime = await findRuntime(ceil);
      try {
        results.fanout.ceiling.push(
          await socketPhase({ label: "ceiling", target: ceil, deflate, socketPath: "/ws", trigger: () => expectStatus(request(ceil.runtime.url, "POST", "/send"), 200, "send"), match: (t) => t.includes("cases:updated") }),
        );
      } finally {
        await stop(ceil);
      }
    }
    const lobby = want("fanout") || want("product-fanout") ? await lobbyAvailable(product.runtime.url) : "not requested";
    if (lobby !== true) {
      results.notes.push(`Product fan-out, private latency and product memory skipped: /ws/lobby is not available in this tree (${lobby}).`);
      log(results.notes.at(-1));
    } else {
      for (const deflate of DEFLATES) {
        log(`fan-out product, deflate=${deflate}`);
        // a fresh runtime per mode, so the memory baseline is not the previous mode's leftovers
        await stop(product);
        product = await server({ name: "product", stateDir: productState });
        product.runtime = await findRuntime(product);
        const trigger = await adminCaseTrigger(product.runtime.url, admin.token);
        const between = deflate ? null : (sockets) => privateLatency(product.runtime.url, players[0], sockets.length).catch((err) => ({ error: String(err.message ?? err) }));
        try {
          results.fanout.product.push(
            await socketPhase({ label: "product", target: product, deflate, socketPath: "/ws/lobby", trigger, match: (t) => t.includes('"cases:updated"'), between }),
          );
        } catch (err) {
          const alive = (() => { try { return rssBytes(product.runtime.pid) > 0; } catch { return false; } })();
          results.notes.push(`Product socket phase (deflate ${deflate}) failed: ${err.message}; runtime process ${alive ? "still running" : "gone"}. wrangler output tail: ${product.logs().slice(-1500)}`);
          log(results.notes.at(-1));
        }
      }
    }
  }
}

let failed = null;
const hardStop = setTimeout(() => {
  console.error("bench: 30 minute limit reached, stopping");
  process.exitCode = 2;
  Promise.all(started.map((s) => s.stop())).finally(() => process.exit(2));
}, 30 * 60_000);
try {
  await main();
} catch (err) {
  failed = err;
  results.error = String(err.stack ?? err);
} finally {
  for (const s of [...started]) await s.stop();
  clearTimeout(hardStop);
  results.finishedAt = new Date().toISOString();
  const dir = path.join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, "-");
  writeFileSync(path.join(dir, `${stamp}-${results.mode}.json`), JSON.stringify(results, null, 2));
  writeFileSync(path.join(dir, `latest-${results.mode}.json`), JSON.stringify(results, null, 2));
  const md = renderMarkdown(results);
  writeFileSync(path.join(dir, `latest-${results.mode}.md`), md);
  console.log(md);
  rmSync(tmp, { recursive: true, force: true });
}
if (failed) {
  console.error(failed);
  process.exit(1);
}
