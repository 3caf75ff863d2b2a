#!/usr/bin/env node
// `npm run bench:battle`: one case battle watched by N spectators (issue #13).
//
// Timing, on the product as it ships (plain `wrangler dev`, short BATTLE_ROUND_MS): per battle, N
// spectator sockets open the room, then the request that fills the last seat is sent; measured are
// the time from that request to `battle:started` at the last spectator, and for every round the time
// from its reveal (its `revealedAt`, which the room stamps with the scheduled `revealAt`, so the
// alarm's lateness is included) to `battle:round` at the last spectator. The ceiling is the bare Durable Object
// broadcast of the fan-out bench (bench/ceilings/fanout) to the same N sockets in the same run, once
// with its `cases:updated`-sized frame and once padded to the size of a battle round's frame,
// sampled before every join and in the gap after every round (interleaved, never during a reveal).
//
// Cost, on the counting entry (bench/battle/worker.ts): D1 rows written per battle, from the HTTP
// requests (create, join, bots) and from the room itself (it settles the battle in D1 from its
// alarm), for 1v1 × 1 and 3 rounds, 1v1v1v1 × 3 rounds, and 1v1 + a bot × 3 rounds.
//
// Loopback only, loops bounded in count and time, stops what it started, writes bench/results/.
//
//   node bench/battle.mjs [--spectators=1000] [--battles=3] [--rounds=5] [--round-ms=3000]
//                         [--ceiling-repeats=3] [--no-cost] [--ref=HEAD] [--smoke]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { ROOT } from "../scripts/lib/dev-server.mjs";
import { seedDemo } from "../scripts/lib/seed-demo.mjs";
import { call, expectStatus, makePlayers, request } from "./lib/api.mjs";
import { findRuntime, migrate, refArg, snapshot, startWrangler } from "./lib/dev.mjs";
import { closeSockets, openSockets, waitForAll } from "./lib/sockets.mjs";
import { max, median, ratio, round, sleep } from "./lib/stats.mjs";

const arg = (name, fallback) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
};
const smoke = process.argv.includes("--smoke");
const CFG = {
  spectators: Number(arg("spectators", smoke ? 50 : 1_000)),
  battles: Number(arg("battles", smoke ? 1 : 3)),
  rounds: Number(arg("rounds", smoke ? 2 : 5)),
  roundMs: Number(arg("round-ms", 3_000)),
  ceilingRepeats: Number(arg("ceiling-repeats", smoke ? 1 : 3)),
  cost: !process.argv.includes("--no-cost"),
  costRoundMs: 300,
};
const CASES = ["starter", "cash-rush", "knife-dream"];
const ref = refArg();
const log = (...a) => console.error(`[battle ${new Date().toISOString().slice(11, 19)}]`, ...a);
const loadavg = () => readFileSync("/proc/loadavg", "utf8").trim().split(" ").slice(0, 3).join(" ");
/** Wall-clock ms with the sub-ms part, comparable with the runtime's Date.now() on this machine. */
const wall = (perfNow = performance.now()) => performance.timeOrigin + perfNow;
const wsUrl = (httpUrl, p) => httpUrl.replace(/^http/, "ws") + p;
const idem = (what) => ({ "idempotency-key": `bench-${what}-${Date.now()}-${Math.random().toString(36).slice(2)}` });

const tmp = mkdtempSync(path.join(tmpdir(), "cyberhub-battle-"));
const started = [];
const results = { startedAt: new Date().toISOString(), mode: smoke ? "smoke" : "full", config: CFG, load: [{ at: "start", loadavg: loadavg() }], notes: [] };

async function server(opts) {
  const s = await startWrangler(opts);
  started.push(s);
  return s;
}
async function stop(s) {
  await s.stop();
  started.splice(started.indexOf(s), 1);
}

/** Resolves once every socket has received at least `frames` frames (the room's state and welcome). */
async function everyReceived(sockets, frames, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (sockets.some((ws) => ws.received < frames)) {
    if (Date.now() > deadline) throw new Error(`only ${sockets.filter((ws) => ws.received >= frames).length}/${sockets.length} spectators got the room's first frames`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------- ceiling samples

async function ceilingSample(ceilingUrl, sockets, bytes) {
  const arrived = waitForAll(sockets, (t) => t.includes("cases:updated"), 60_000);
  const t0 = performance.now();
  await expectStatus(request(ceilingUrl, "POST", bytes ? `/send?bytes=${bytes}` : "/send"), 200, "ceiling send");
  const http = performance.now() - t0;
  const { first, last } = await arrived;
  return { bytes, http: round(http), first: round(first - t0), last: round(last - t0), spread: round(last - first) };
}

// ---------------------------------------------------------------- one battle under N spectators

async function timedBattle(k, { runtimeUrl, ceilingUrl, ceilingSockets, players, ceiling }) {
  const cases = Array.from({ length: CFG.rounds }, (_, i) => CASES[i % CASES.length]);
  const created = await expectStatus(
    call(runtimeUrl, "POST", "/api/battles", { token: players[0].token, body: { cases, format: "1v1", mode: "classic" }, headers: idem("create") }),
    201,
    "create battle",
  );
  const id = created.body.battle.id;
  const sockets = await openSockets(wsUrl(runtimeUrl, `/ws/battle/${id}`), CFG.spectators, { concurrency: 50 });
  const roundsSeen = new Map(sockets.map((ws) => [ws, 0]));
  for (const ws of sockets) ws.on("message", (data) => roundsSeen.set(ws, roundsSeen.get(ws) + (String(data).match(/"event":"battle:round"/g)?.length ?? 0)));
  try {
    await everyReceived(sockets, 2);
    await sleep(1_000);
    for (let i = 0; i < CFG.ceilingRepeats; i++) {
      ceiling.push({ battle: k, when: "before join", ...(await ceilingSample(ceilingUrl, ceilingSockets, 0)) });
      if (ceiling.roundBytes) ceiling.push({ battle: k, when: "before join", ...(await ceilingSample(ceilingUrl, ceilingSockets, ceiling.roundBytes)) });
    }

    // The last join: from the request to battle:started at the last spectator.
    let startedFrame = null;
    const startArrived = waitForAll(sockets, (t) => t.includes('"battle:started"') && (startedFrame ??= t) !== null, 60_000);
    const t0 = performance.now();
    const joined = await expectStatus(call(runtimeUrl, "POST", `/api/battles/${id}/join`, { token: players[1].token, body: {}, headers: idem("join") }), 200, "join battle");
    const http = performance.now() - t0;
    const s = await startArrived;
    const start = { battle: k, http: round(http), first: round(s.first - t0), last: round(s.last - t0), spread: round(s.last - s.first), bytes: startedFrame?.length ?? 0 };
    log(`  battle ${k}: started at the last of ${sockets.length} spectators ${start.last} ms after the join request (response ${start.http} ms)`);
    const { revealAt, finishAt } = joined.body.battle;
    if (!Array.isArray(revealAt) || revealAt.length !== CFG.rounds) throw new Error(`join: revealAt ${JSON.stringify(revealAt)}`);

    const rounds = [];
    for (let r = 1; r <= CFG.rounds; r++) {
      let frame = null;
      const pattern = new RegExp(`"round":${r}[,}]`);
      const arrived = await waitForAll(sockets, (t) => t.includes('"battle:round"') && pattern.test(t) && (frame ??= t) !== null, CFG.roundMs * 4 + 30_000);
      const event = JSON.parse(frame).events.find((e) => e.event === "battle:round" && e.data.round === r);
      const revealedAt = event.data.revealedAt;
      const scheduled = revealAt[r - 1];
      ceiling.roundBytes ??= frame.length;
      rounds.push({
        battle: k,
        round: r,
        bytes: frame.length,
        lateMs: round(revealedAt - scheduled),
        first: round(wall(arrived.first) - revealedAt),
        last: round(wall(arrived.last) - revealedAt),
        spread: round(arrived.last - arrived.first),
        lastFromSchedule: round(wall(arrived.last) - scheduled),
      });
      // The ceiling in the gap before the next reveal, never across it.
      const next = r < CFG.rounds ? revealAt[r] : finishAt;
      for (let i = 0; i < CFG.ceilingRepeats; i++) {
        if (next - Date.now() < 1_500) break;
        ceiling.push({ battle: k, when: `after round ${r}`, ...(await ceilingSample(ceilingUrl, ceilingSockets, 0)) });
        if (next - Date.now() < 1_500) break;
        ceiling.push({ battle: k, when: `after round ${r}`, ...(await ceilingSample(ceilingUrl, ceilingSockets, ceiling.roundBytes)) });
      }
    }
    const fin = await waitForAll(sockets, (t) => t.includes('"battle:finished"'), CFG.roundMs * 4 + 30_000);
    const finished = { battle: k, last: round(wall(fin.last) - finishAt) };
    const short = [...roundsSeen.values()].filter((n) => n !== CFG.rounds).length;
    if (short > 0) results.notes.push(`battle ${k}: ${short} spectators did not get exactly ${CFG.rounds} battle:round events`);
    log(`  battle ${k}: rounds at the last spectator ${rounds.map((x) => x.last).join(", ")} ms after each reveal; finished ${finished.last} ms after finishAt; load ${loadavg()}`);
    return { id, start, rounds, finished, spectatorsWithEveryRound: sockets.length - short };
  } finally {
    await closeSockets(sockets);
  }
}

// ---------------------------------------------------------------- rows written per battle

function costOf(res) {
  const header = res.headers["x-bench-cost"];
  if (!header) throw new Error(`no x-bench-cost header (HTTP ${res.status})`);
  return JSON.parse(header);
}

async function countedBattle(url, { label, creator, joiners, bots, rounds, format }) {
  const cases = Array.from({ length: rounds }, (_, i) => CASES[i % CASES.length]);
  const requests = [];
  const create = await expectStatus(call(url, "POST", "/api/battles", { token: creator.token, body: { cases, format, mode: "classic" }, headers: idem("cost-create") }), 201, `${label}: create`);
  requests.push({ op: "create", ...(costOf(create)) });
  const id = create.body.battle.id;
  for (const [i, p] of joiners.entries()) {
    const res = await expectStatus(call(url, "POST", `/api/battles/${id}/join`, { token: p.token, body: {}, headers: idem("cost-join") }), 200, `${label}: join`);
    requests.push({ op: i === joiners.length - 1 && !bots ? "join (last seat: starts)" : "join", ...(costOf(res)) });
  }
  if (bots) {
    const res = await expectStatus(call(url, "POST", `/api/battles/${id}/bots`, { token: creator.token }), 200, `${label}: bots`);
    requests.push({ op: "bots (fills and starts)", ...(costOf(res)) });
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await call(url, "GET", `/api/battles/${id}`);
    if (body?.battle?.status === "finished") break;
    if (Date.now() > deadline) throw new Error(`${label}: not finished within 60 s (${body?.battle?.status})`);
    await sleep(200);
  }
  await sleep(500);
  const room = (await expectStatus(call(url, "GET", `/api/__bench/battle-cost/${id}`), 200, `${label}: room cost`)).body;
  const httpRows = requests.reduce((a, r) => a + r.rowsWritten, 0);
  return {
    label,
    format,
    seats: create.body.battle.seatCount,
    rounds,
    d1RowsWritten: httpRows + room.d1.rowsWritten,
    requests: requests.map((r) => ({ op: r.op, d1RoundTrips: r.d1RoundTrips, rowsRead: r.rowsRead, rowsWritten: r.rowsWritten, statements: r.statements })),
    room: { d1RoundTrips: room.d1.d1RoundTrips, rowsRead: room.d1.rowsRead, rowsWritten: room.d1.rowsWritten, statements: room.d1.statements.filter((s) => s.rowsWritten > 0), since: room.since },
  };
}

async function rowsWritten(tree) {
  const state = path.join(tmp, "cost");
  mkdirSync(state);
  migrate(tree, state);
  const cost = await server({ name: "battle-cost", stateDir: state, root: tree, script: "bench/battle/worker.ts", vars: { BATTLE_ROUND_MS: String(CFG.costRoundMs) } });
  try {
    const { admin } = await seedDemo(cost.url, state);
    const p = await makePlayers(cost.url, admin.token, 4, 1_000_000, "battle-cost");
    const out = [];
    out.push(await countedBattle(cost.url, { label: "1v1, 1 round", creator: p[0], joiners: [p[1]], rounds: 1, format: "1v1" }));
    out.push(await countedBattle(cost.url, { label: "1v1, 3 rounds", creator: p[0], joiners: [p[1]], rounds: 3, format: "1v1" }));
    out.push(await countedBattle(cost.url, { label: "1v1v1v1, 3 rounds", creator: p[0], joiners: [p[1], p[2], p[3]], rounds: 3, format: "1v1v1v1" }));
    out.push(await countedBattle(cost.url, { label: "1v1 with a bot, 3 rounds", creator: p[0], joiners: [], bots: true, rounds: 3, format: "1v1" }));
    for (const b of out) log(`  ${b.label}: ${b.d1RowsWritten} D1 rows written (requests ${b.requests.map((r) => `${r.op} ${r.rowsWritten}`).join(", ")}; room ${b.room.rowsWritten} in ${b.room.d1RoundTrips} round trips, ${b.room.rowsRead} rows read)`);
    return out;
  } finally {
    await stop(cost);
  }
}

// ---------------------------------------------------------------- main

const summarize = (runs, key = "last") => ({ median: round(median(runs.map((r) => r[key]))), max: round(max(runs.map((r) => r[key]))), samples: runs.length });

async function main() {
  const tree = snapshot(ref, tmp);
  results.tree = ref ? `git ref ${ref} (${execFileSync("git", ["rev-parse", "--short", ref], { cwd: ROOT, encoding: "utf8" }).trim()})` : "working tree (copied at start)";
  try {
    results.commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    results.dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT, encoding: "utf8" }).length > 0;
  } catch {
    results.commit = "?";
  }
  log(`measuring ${results.tree}; ${CFG.spectators} spectators, ${CFG.battles} battles × ${CFG.rounds} rounds of ${CFG.roundMs} ms`);
  const productState = path.join(tmp, "product");
  mkdirSync(productState);
  migrate(tree, productState);
  const product = await server({ name: "product", stateDir: productState, root: tree, vars: { BATTLE_ROUND_MS: String(CFG.roundMs) } });
  product.runtime = await findRuntime(product);
  const ceil = await server({ name: "ceiling-fanout", stateDir: path.join(tmp, "ceiling-fanout"), root: tree, config: "bench/ceilings/fanout/wrangler.toml" });
  ceil.runtime = await findRuntime(ceil);
  results.connection = "Spectator sockets and requests go straight to the workerd that runs the Worker and its Durable Objects (product and ceiling alike), not through wrangler's dev proxy; setup uses the dev URL.";

  const { admin } = await seedDemo(product.url, productState);
  const players = await makePlayers(product.url, admin.token, 2, 100_000_000, "battle");
  const ceilingSockets = await openSockets(wsUrl(ceil.runtime.url, "/ws"), CFG.spectators, { concurrency: 50 });
  const ceiling = [];
  ceiling.roundBytes = null;
  const battles = [];
  try {
    for (let k = 1; k <= CFG.battles; k++) {
      battles.push(await timedBattle(k, { runtimeUrl: product.runtime.url, ceilingUrl: ceil.runtime.url, ceilingSockets, players, ceiling }));
      results.load.push({ at: `after battle ${k}`, loadavg: loadavg() });
    }
  } finally {
    await closeSockets(ceilingSockets);
    await stop(ceil);
    await stop(product);
  }

  const starts = battles.map((b) => b.start);
  const rounds = battles.flatMap((b) => b.rounds);
  const ceilStd = ceiling.filter((c) => c.bytes === 0);
  const ceilSized = ceiling.filter((c) => c.bytes > 0);
  const t = {
    spectators: CFG.spectators,
    start: { ...summarize(starts), http: summarize(starts, "http").median, spread: summarize(starts, "spread").median, bytes: starts[0]?.bytes },
    reveal: { ...summarize(rounds), first: summarize(rounds, "first").median, spread: summarize(rounds, "spread").median, lateMs: summarize(rounds, "lateMs"), lastFromSchedule: summarize(rounds, "lastFromSchedule"), bytes: rounds[0]?.bytes },
    finish: summarize(battles.map((b) => b.finished)),
    ceiling: { frame: { ...summarize(ceilStd), spread: summarize(ceilStd, "spread").median, http: summarize(ceilStd, "http").median }, roundSized: { ...summarize(ceilSized), spread: summarize(ceilSized, "spread").median, bytes: ceiling.roundBytes } },
  };
  t.ratios = {
    startToCeiling: ratio(t.start.median, t.ceiling.frame.median),
    revealToCeiling: ratio(t.reveal.median, t.ceiling.frame.median),
    revealToRoundSizedCeiling: ratio(t.reveal.median, t.ceiling.roundSized.median),
    revealSpreadToRoundSizedSpread: ratio(t.reveal.spread, t.ceiling.roundSized.spread),
  };
  results.timing = t;
  results.battles = battles;
  results.ceilingRuns = ceiling;
  log(`started: last spectator ${t.start.median} ms after the join (ceiling ${t.ceiling.frame.median} ms, ${t.ratios.startToCeiling}×); rounds: ${t.reveal.median} ms after the reveal (ceiling ${t.ceiling.roundSized.median} ms at ${t.ceiling.roundSized.bytes} B, ${t.ratios.revealToRoundSizedCeiling}×)`);
  if (CFG.cost) {
    log("rows written per battle");
    results.cost = await rowsWritten(tree);
  }
  results.load.push({ at: "end", loadavg: loadavg() });
}

function markdown(r) {
  const t = r.timing;
  const lines = [`# Battle bench ${r.startedAt} (${r.mode}), ${r.tree}, commit ${r.commit}${r.dirty ? " (+ uncommitted src changes)" : ""}`, "", `Load average: ${r.load.map((l) => `${l.at} ${l.loadavg}`).join("; ")}.`, ""];
  if (t) {
    lines.push(
      `N = ${t.spectators} spectators, ${r.config.battles} battles × ${r.config.rounds} rounds of ${r.config.roundMs} ms; medians (max).`,
      "",
      "| | product ms | ceiling ms | ratio |",
      "| --- | --- | --- | --- |",
      `| last join → battle:started at the last spectator | ${t.start.median} (${t.start.max}); response ${t.start.http} | ${t.ceiling.frame.median} (${t.ceiling.frame.max}), ${t.ceiling.frame.samples} sends | ${t.ratios.startToCeiling} |`,
      `| round reveal (revealedAt) → battle:round at the last spectator | ${t.reveal.median} (${t.reveal.max}), ${t.reveal.samples} rounds, ${t.reveal.bytes} B | ${t.ceiling.roundSized.median} (${t.ceiling.roundSized.max}) padded to ${t.ceiling.roundSized.bytes} B; ${t.ceiling.frame.median} unpadded | ${t.ratios.revealToRoundSizedCeiling} (${t.ratios.revealToCeiling} to the unpadded) |`,
      `| first → last spectator within one round | ${t.reveal.spread} | ${t.ceiling.roundSized.spread} | ${t.ratios.revealSpreadToRoundSizedSpread} |`,
      `| revealedAt − scheduled revealAt (0: the room stamps the scheduled time, so the row above includes its alarm's lateness) | ${t.reveal.lateMs.median} (${t.reveal.lateMs.max}) | | |`,
      `| finishAt → battle:finished at the last spectator | ${t.finish.median} (${t.finish.max}) | | |`,
      "",
    );
  }
  if (r.cost) {
    lines.push("| battle | seats | rounds | D1 rows written | per request | by the room | the room's D1 round trips / rows read |", "| --- | --- | --- | --- | --- | --- | --- |");
    for (const b of r.cost) lines.push(`| ${b.label} | ${b.seats} | ${b.rounds} | ${b.d1RowsWritten} | ${b.requests.map((q) => `${q.op} ${q.rowsWritten}`).join(", ")} | ${b.room.rowsWritten} | ${b.room.d1RoundTrips} / ${b.room.rowsRead} |`);
    lines.push("");
  }
  if (r.notes.length) lines.push("Notes:", ...r.notes.map((n) => `- ${n}`), "");
  if (r.error) lines.push("Error:", "", "```", r.error, "```", "");
  return lines.join("\n");
}

let failed = null;
const hardStop = setTimeout(() => {
  console.error("bench:battle: 20 minute limit reached, stopping");
  Promise.all(started.map((s) => s.stop())).finally(() => process.exit(2));
}, 20 * 60_000);
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
  writeFileSync(path.join(dir, `battle-${stamp}-${results.mode}.json`), JSON.stringify(results, null, 2));
  const md = markdown(results);
  writeFileSync(path.join(dir, `battle-latest-${results.mode}.md`), md);
  console.log(md);
  rmSync(tmp, { recursive: true, force: true });
}
if (failed) {
  console.error(failed);
  process.exit(1);
}
