#!/usr/bin/env node
// `npm run bench:model`: the capacity model (issue #15). From per-operation costs the benches
// measured (µs per socket send, D1 ms per statement, statements and rows per opening, RPC hop), it
// predicts fan-out time, ticker CPU per shard and the broadcaster's load at 10k / 100k / 1M lobby
// sockets, and D1 load at 100 / 1,000 / 10,000 openings a second; then it predicts what this machine
// measured (one thread, every object on it) and states the error.
//
// Inputs: bench/results/latest-full.json (`npm run bench --only=cost,fanout` or a full run) and
// bench/results/latest-private.json (`npm run bench:private`) when present; every input also has a
// default (its source in DEFAULTS) and a flag (--send-us=30 …). The lobby's sizing rules are read
// from src/realtime/lobby-budget.ts itself, so the model and the product cannot drift apart.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : String(r2(x)));

// ------------------------------------------------------------------ the product's sizing rules
const budgetSource = readFileSync(path.join(ROOT, "src/realtime/lobby-budget.ts"), "utf8");
const constant = (name) => {
  const m = new RegExp(`export const ${name} = ([0-9_.]+);`).exec(budgetSource);
  if (!m) throw new Error(`lobby-budget.ts: no numeric ${name}`);
  return Number(m[1].replaceAll("_", ""));
};
const RULES = {
  SEND_US: constant("SEND_US"),
  SHARD_FRAME_MS: constant("SHARD_FRAME_MS"),
  SHARD_FILL: constant("SHARD_FILL"),
  MIN_FRAME_MS: constant("MIN_FRAME_MS"),
  MAX_FRAME_MS: constant("MAX_FRAME_MS"),
  SHARD_TICKER_BUDGET: constant("SHARD_TICKER_BUDGET"),
  RPC_DISPATCH_MS: constant("RPC_DISPATCH_MS"),
  BROADCASTER_BUDGET: constant("BROADCASTER_BUDGET"),
};
RULES.SHARD_TARGET_SOCKETS = Math.floor((RULES.SHARD_FRAME_MS * 1000) / RULES.SEND_US);
const SEND_CHUNK = Number(/export const SEND_CHUNK = (\d+);/.exec(readFileSync(path.join(ROOT, "src/realtime/lobby-shard.ts"), "utf8"))?.[1] ?? 128);

const shardsFor = (sockets) => Math.max(1, Math.ceil(sockets / (RULES.SHARD_TARGET_SOCKETS * RULES.SHARD_FILL)));
const frameWindowMs = (shards, largest, sendUs) =>
  Math.min(RULES.MAX_FRAME_MS, Math.max(RULES.MIN_FRAME_MS, (largest * sendUs) / 1000 / RULES.SHARD_TICKER_BUDGET, (shards * RULES.RPC_DISPATCH_MS) / RULES.BROADCASTER_BUDGET));

// ------------------------------------------------------------------ inputs
const DEFAULTS = {
  sendUs: { value: 30, source: "BENCHMARKS.md: bare DO fan-out to 2,500 sockets, 52.5–74.8 ms (21–30 µs a send)" },
  cfSendUs: { value: 30, source: "the quiet machine's send (lobby-budget.ts SEND_US) for the Cloudflare rows: a loaded machine's send is not Cloudflare's; RE-MEASURE ON CLOUDFLARE" },
  localHopMs: { value: 3, source: "BENCHMARKS.md §3: Broadcaster.publish − LobbyShard.deliver at N = 100, 1.5–5 ms" },
  cfHopMs: { value: 1, source: "assumed: one Durable Object RPC inside a colo; RE-MEASURE ON CLOUDFLARE" },
  d1MsPerStatement: { value: 0.25, source: "assumed (an indexed point write in SQLite plus D1's per-statement overhead): the optimistic end; local D1 reports meta.duration 0 ms, so this machine cannot measure it; RE-MEASURE ON CLOUDFLARE" },
  cfD1MsPerStatement: { value: 1, source: "Cloudflare's D1 guidance (one writer, ~1,000 queries/s at 1 ms a query), taken per statement: an upper bound; RE-MEASURE ON CLOUDFLARE" },
  statementsPerOpening: { value: 3, source: "bench cost: open ×1 warm, 1 round trip, 3 statements (cold: 7)" },
  rowsWrittenPerOpening: { value: 3, source: "bench cost / test/worker/domain.test.ts: warm open ×1 writes 3 rows" },
  d1Utilisation: { value: 0.7, source: "planning headroom: a single writer past ~70 % busy queues" },
};
const inputs = Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [k, { ...v }]));
const measured = { fanout: [], private: [] };

const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null);
const full = readJson(path.join(ROOT, "bench/results/latest-full.json"));
if (full?.fanout?.ceiling?.length) {
  const ceiling = full.fanout.ceiling.find((p) => !p.deflate);
  const product = full.fanout.product?.find((p) => !p.deflate);
  for (const step of ceiling?.steps ?? []) {
    measured.fanout.push({ n: step.n, ceiling: step.lastMedian, product: product?.steps.find((s) => s.n === step.n)?.lastMedian, http: product?.steps.find((s) => s.n === step.n)?.httpMedian });
  }
  const big = ceiling?.steps.at(-1);
  if (big && big.n >= 1000) inputs.sendUs = { value: r2((big.lastMedian * 1000) / big.n), source: `bench fan-out ceiling in ${full.startedAt}: ${big.lastMedian} ms to the last of ${big.n} sockets (load ${full.machine?.loadavg})` };
}
const open1 = full?.cost?.ops?.find((o) => o.op.startsWith("open ×1") && !o.op.includes("cold"));
if (open1?.d1MsPerStatement > 0) {
  inputs.d1MsPerStatement = { value: r2(open1.d1MsPerStatement), source: `bench cost in ${full.startedAt}: D1 meta.duration of "${open1.op}", ${open1.d1Ms} ms over ${open1.d1Statements} statements` };
  if (typeof open1.d1Statements === "number") inputs.statementsPerOpening = { value: open1.d1Statements, source: `bench cost in ${full.startedAt}: "${open1.op}"` };
}
const priv = readJson(path.join(ROOT, "bench/results/latest-private.json"));
if (priv?.rows?.length) measured.private = priv.rows;
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)=([0-9.]+)$/.exec(arg);
  if (!m) continue;
  const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  if (inputs[key]) inputs[key] = { value: Number(m[2]), source: "command line" };
}
const v = (k) => inputs[k].value;

// ------------------------------------------------------------------ predictions at scale (Cloudflare)
function lobbyAt(sockets, sendUs) {
  const shards = shardsFor(sockets);
  const perShard = sockets / shards;
  const windowMs = frameWindowMs(shards, perShard, sendUs);
  const frames = 1000 / windowMs;
  // The broadcaster issues one RPC per shard (RPC_DISPATCH_MS each, one after another); each shard sends to its own sockets in parallel.
  const cfFanoutMs = v("cfHopMs") + shards * RULES.RPC_DISPATCH_MS + (perShard * sendUs) / 1000;
  const localFanoutMs = v("localHopMs") + (sockets * sendUs) / 1000;
  return {
    sockets,
    shards,
    perShard: Math.round(perShard),
    windowMs: Math.round(windowMs),
    framesPerS: r2(frames),
    cfFanoutMs: r2(cfFanoutMs),
    shardTickerCpu: r2((perShard * sendUs * frames) / 1e6),
    broadcasterCpu: r2((shards * RULES.RPC_DISPATCH_MS * frames) / 1000),
    sendsPerS: Math.round(sockets * frames),
    shardRpcsPerS: Math.round(shards * frames),
    localFanoutMs: r2(localFanoutMs),
  };
}
function openingsAt(rate, msPerStatement) {
  const busyMsPerOpening = v("statementsPerOpening") * msPerStatement;
  const saturation = 1000 / busyMsPerOpening;
  return {
    rate,
    d1Busy: r2((rate * busyMsPerOpening) / 1000),
    databases: Math.ceil((rate * busyMsPerOpening) / 1000 / v("d1Utilisation")),
    saturation: Math.round(saturation),
    rowsWrittenPerS: rate * v("rowsWrittenPerOpening"),
    usdPerDayRows: r2((rate * v("rowsWrittenPerOpening") * 86_400) / 1e6),
  };
}

const lobby = [10_000, 100_000, 1_000_000].map((n) => lobbyAt(n, v("cfSendUs")));
const d1Cf = [100, 1_000, 10_000].map((r) => openingsAt(r, v("cfD1MsPerStatement")));
const d1Local = [100, 1_000, 10_000].map((r) => openingsAt(r, v("d1MsPerStatement")));

// ------------------------------------------------------------------ checks against this machine
const checks = [];
for (const m of measured.fanout) {
  const predicted = v("localHopMs") * 0 + (m.n * v("sendUs")) / 1000;
  checks.push({ what: `bare DO fan-out, last of ${m.n} sockets`, predicted: r2(predicted), measured: m.ceiling });
  if (m.product !== undefined) {
    // The product: the admin save's HTTP time before the publish, the hop, then the same send loop.
    const p = (m.http ?? 0) + v("localHopMs") + (m.n * v("sendUs")) / 1000;
    checks.push({ what: `product fan-out (admin save → last of ${m.n})`, predicted: r2(p), measured: m.product });
  }
}
const byVariant = (n, pred) => measured.private.filter((r) => r.n === n && pred(r.variant));
for (const n of [...new Set(measured.private.map((r) => r.n))]) {
  const silent = byVariant(n, (x) => x === "HEAD, lobby silent" || x === "tree, lobby silent");
  const before = byVariant(n, (x) => x === "main");
  const after = byVariant(n, (x) => x === "HEAD" || x === "tree");
  const frameMs = (rows) => median(rows.map((r) => r.fanoutMs).filter(Number.isFinite));
  // The lobby's share of the one thread: n sends of sendUs, 4 frames a second. Near or past the share of
  // a core the runtime gets on a loaded machine, a private event waits in a queue, not behind one frame.
  const share = r2((n * v("sendUs") * 4) / 1e6);
  const regime = share >= 0.25 ? ` (thread ${Math.round(share * 100)} % lobby: saturated)` : ` (thread ${Math.round(share * 100)} % lobby)`;
  if (before.length && silent.length) {
    // One send loop of all n sockets in a row (one shard, no yield): a private event caught behind it waits up to the whole loop.
    checks.push({ what: `lobby frame's send loop at ${n} sockets (main: one loop)`, predicted: r2((n * v("sendUs")) / 1000), measured: r2(frameMs(before)) });
    checks.push({
      what: `private p99 added by the lobby at ${n} (main − silent), one frame's wait${regime}`,
      predicted: r2((n * v("sendUs")) / 1000),
      measured: r2(median(before.map((r) => r.event.p99)) - median(silent.map((r) => r.event.p99))),
      saturated: share >= 0.25,
    });
  }
  if (after.length && silent.length) {
    checks.push({
      what: `private p99 added by the lobby at ${n} (chunked − silent), one chunk's wait${regime}`,
      predicted: r2((Math.min(n, SEND_CHUNK) * v("sendUs")) / 1000),
      measured: r2(median(after.map((r) => r.event.p99)) - median(silent.map((r) => r.event.p99))),
      saturated: share >= 0.25,
    });
  }
}
for (const c of checks) {
  c.error = Number.isFinite(c.measured) && c.measured > 0 ? `${Math.round(((c.predicted - c.measured) / c.measured) * 100)} %` : "– (within noise)";
  if (c.saturated) c.error += " — outside the model: a queue";
}

// ------------------------------------------------------------------ report
const lines = [];
lines.push(`Inputs (${new Date().toISOString()}):`, "", "| input | value | source |", "| --- | --- | --- |");
for (const [k, i] of Object.entries(inputs)) lines.push(`| ${k} | ${i.value} | ${i.source} |`);
lines.push(`| shard target (lobby-budget.ts) | ${RULES.SHARD_TARGET_SOCKETS} sockets | SHARD_FRAME_MS ${RULES.SHARD_FRAME_MS} ms / SEND_US ${RULES.SEND_US} µs; new shards past ${RULES.SHARD_FILL * 100} % |`);
lines.push("", "Lobby on Cloudflare (shards in parallel):", "", "| lobby sockets | shards | sockets/shard | ticker window ms | frames/s | fan-out to the last socket ms | ticker CPU per shard | broadcaster CPU (RPCs) | shard RPCs/s | sends/s | same lobby on this machine's one thread, ms |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const l of lobby) lines.push(`| ${fmt(l.sockets)} | ${l.shards} | ${fmt(l.perShard)} | ${l.windowMs} | ${l.framesPerS} | ${l.cfFanoutMs} | ${Math.round(l.shardTickerCpu * 100)} % | ${Math.round(l.broadcasterCpu * 100)} % | ${fmt(l.shardRpcsPerS)} | ${fmt(l.sendsPerS)} | ${fmt(l.localFanoutMs)} |`);
lines.push("", "Openings and D1 (one database, one writer):", "", `| openings/s | D1 busy at ${v("cfD1MsPerStatement")} ms/stmt | databases needed at ≤ 70 % | D1 busy at ${v("d1MsPerStatement")} ms/stmt | databases needed | rows written/s | USD/day for rows written |`, "| --- | --- | --- | --- | --- | --- | --- |");
d1Cf.forEach((c, i) => lines.push(`| ${fmt(c.rate)} | ${Math.round(c.d1Busy * 100)} % | ${c.databases} | ${Math.round(d1Local[i].d1Busy * 100)} % | ${d1Local[i].databases} | ${fmt(c.rowsWrittenPerS)} | ${c.usdPerDayRows} |`));
lines.push("", `One D1 database saturates at ≈ ${fmt(d1Cf[0].saturation)} openings/s at ${v("cfD1MsPerStatement")} ms a statement (${fmt(Math.round(d1Cf[0].saturation * v("d1Utilisation")))}/s at 70 %), ≈ ${fmt(d1Local[0].saturation)}/s (${fmt(Math.round(d1Local[0].saturation * v("d1Utilisation")))}/s at 70 %) at ${v("d1MsPerStatement")} ms.`);
lines.push("", "Checked against this machine (one thread, every object on it):", "", "| measured point | model | measured | error |", "| --- | --- | --- | --- |");
for (const c of checks) lines.push(`| ${c.what} | ${c.predicted} | ${c.measured} | ${c.error} |`);
if (checks.length === 0) lines.push("| (no results yet: run `npm run bench --only=cost,fanout` and `npm run bench:private`) | | | |");
const md = lines.join("\n");
console.log(md);
mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
writeFileSync(path.join(ROOT, "bench/results/latest-model.json"), JSON.stringify({ at: new Date().toISOString(), rules: RULES, inputs, lobby, d1Cf, d1Local, checks }, null, 2));
