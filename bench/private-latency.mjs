#!/usr/bin/env node
// `npm run bench:private`: a player's private event while the lobby is busy (issue #15). For each N
// idle lobby sockets, in interleaved rounds of the same run:
//   bare     the fan-out ceiling's private path: HTTP → Worker → RPC → one socket (N idle sockets on
//            another bare object, no traffic);
//   <label>  the product at each tree given by --refs (default: main and the working tree): one player
//            opens a case again and again (private socket open) while other players open in the
//            background (BENCH_BG_RATE/s), so drops reach the N lobby sockets as on a live site;
//   <label>, lobby silent  the same, with every request's lobby publish switched off
//            (bench/profile/worker.ts, `x-bench-ablate: no-lobby`): what is left without lobby frames.
// Per open: request start → `inventory:updated` on the player's socket. Lobby frames are timed on
// every lobby socket (first and last arrival), so each slow private event can be checked against the
// fan-outs in flight at the time. Load average recorded per round.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { ROOT } from "../scripts/lib/dev-server.mjs";
import { seedDemo } from "../scripts/lib/seed-demo.mjs";
import { startWrangler, snapshot, migrate, findRuntime } from "./lib/dev.mjs";
import { call, expectStatus, makePlayers, request } from "./lib/api.mjs";
import { openSockets, openOne, closeSockets } from "./lib/sockets.mjs";
import { median, quantile, round, sleep } from "./lib/stats.mjs";
import { cpuTimeMs, profileWhile } from "./lib/cpu.mjs";

const N = (process.env.BENCH_N ?? "100,1000,2500").split(",").map(Number);
const OPENS = Number(process.env.BENCH_OPENS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BG_RATE = Number(process.env.BENCH_BG_RATE ?? 20);
// BENCH_PROFILE_N=2500: V8 CPU profiles of every isolate during each product's first round at that N.
const PROFILE_N = Number(process.env.BENCH_PROFILE_N ?? 0);
const REVEAL_DRAIN_MS = 6_500;
const refsArg = (process.argv.find((a) => a.startsWith("--refs=")) ?? "--refs=main,").slice(7).split(",");
const tmp = mkdtempSync(path.join(tmpdir(), "cyberhub-private-"));
const servers = [];
const log = (...a) => console.error(`[private ${new Date().toISOString().slice(11, 19)}]`, ...a);
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const out = { at: new Date().toISOString(), opens: OPENS, rounds: ROUNDS, bgRate: BG_RATE, refs: refsArg, loadAtStart: loadavg(), rows: [] };

const ws = (u) => u.replace(/^http/, "ws");

async function startProduct(ref, label) {
  const dir = path.join(tmp, label);
  mkdirSync(dir, { recursive: true });
  const tree = snapshot(ref || null, dir);
  const state = path.join(dir, "state");
  mkdirSync(state);
  migrate(tree, state);
  const server = await startWrangler({ name: `product-${label}`, root: tree, stateDir: state, script: "bench/profile/worker.ts" });
  servers.push(server);
  const rt = await findRuntime(server);
  const { admin } = await seedDemo(server.url, state);
  const [player] = await makePlayers(server.url, admin.token, 1, 10_000_000, `pl-${label}`);
  const background = await makePlayers(server.url, admin.token, 5, 10_000_000, `bg-${label}`);
  const commit = ref ? execFileSync("git", ["rev-parse", "--short", ref], { cwd: ROOT, encoding: "utf8" }).trim() : "working tree";
  return { label, commit, url: rt.url, pid: rt.pid, player, background };
}

/** Lobby frames seen across all lobby sockets: per distinct frame text, its first and last arrival. */
function watchLobby(sockets) {
  const frames = new Map();
  const handler = (data) => {
    const text = data.toString();
    if (!text.startsWith('{"type":"events"')) return;
    const t = performance.now();
    const f = frames.get(text);
    if (f) (f.last = t), f.count++;
    else frames.set(text, { first: t, last: t, count: 1 });
  };
  for (const s of sockets) s.on("message", handler);
  return { frames, stop: () => sockets.forEach((s) => s.off("message", handler)) };
}

async function privateSocket(p) {
  const t = await call(p.url, "POST", "/api/realtime/ticket", { token: p.player.token });
  if (t.status !== 201) throw new Error(`ticket: HTTP ${t.status}`);
  return openOne(`${ws(p.url)}/ws/user?ticket=${encodeURIComponent(t.body.ticket)}`);
}

/** Background openers at BG_RATE/s until stopped (each request carries the same ablation). */
function backgroundLoad(p, headers) {
  let stopped = false;
  let i = 0;
  const inflight = new Set();
  const timer = setInterval(() => {
    if (stopped) return;
    const player = p.background[i++ % p.background.length];
    const req = request(p.url, "POST", "/api/cases/starter/open", { token: player.token, body: { count: 1 }, headers }).catch(() => null);
    inflight.add(req);
    req.finally(() => inflight.delete(req));
  }, 1000 / BG_RATE);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await Promise.all(inflight);
  };
}

async function productRound(p, silent, lobbySockets, profile = false) {
  const headers = silent ? { "x-bench-ablate": "no-lobby" } : {};
  const sock = await privateSocket(p);
  const watch = watchLobby(lobbySockets);
  const stopBg = backgroundLoad(p, headers);
  await sleep(REVEAL_DRAIN_MS); // the background's drops start arriving (each held REVEAL_MS)
  let pending = null;
  sock.on("message", (data) => {
    if (pending && data.toString().includes('"inventory:updated"')) pending();
  });
  const rows = [];
  const cpu0 = cpuTimeMs(p.pid);
  const wall0 = performance.now();
  const measure = async () => {
  for (let i = 0; i < OPENS; i++) {
    let timer;
    const got = new Promise((resolve, reject) => {
      pending = () => (clearTimeout(timer), resolve(performance.now()));
      timer = setTimeout(() => reject(new Error("no private event within 30 s")), 30_000);
    });
    // Awaited below; this only keeps a timeout during the request from crashing the process.
    got.catch(() => {});
    const t0 = performance.now();
    const res = await request(p.url, "POST", "/api/cases/starter/open", { token: p.player.token, body: { count: 1 }, headers });
    const tHttp = performance.now();
    if (res.status !== 201) throw new Error(`open: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    const tEvent = await got;
    pending = null;
    rows.push({ t0, event: tEvent - t0, http: tHttp - t0, tEvent });
  }
  };
  const profiles = profile ? (await profileWhile(p.pid, () => true, measure, { top: 12, intervalUs: 1000 })).profiles : undefined;
  if (!profile) await measure();
  // The runtime's CPU over the measured window, as a share of one core: near 100 % it is the bottleneck.
  const runtimeCpu = round((cpuTimeMs(p.pid) - cpu0) / (performance.now() - wall0), 2);
  await stopBg();
  watch.stop();
  sock.close();
  // A private event "waited behind a fan-out" when a lobby frame was still reaching sockets while it was on its way.
  const fanouts = [...watch.frames.values()].filter((f) => f.count > 1);
  const during = (r) => fanouts.some((f) => f.first < r.tEvent && f.last > r.t0);
  const events = rows.map((r) => r.event);
  const p90 = quantile(events, 0.9);
  const slow = rows.filter((r) => r.event >= p90);
  const fast = rows.filter((r) => r.event < median(events));
  await sleep(REVEAL_DRAIN_MS); // drops still held by the broadcaster go out before the next variant's round
  return {
    event: { p50: round(median(events)), p95: round(quantile(events, 0.95)), p99: round(quantile(events, 0.99)) },
    http: { p50: round(median(rows.map((r) => r.http))), p99: round(quantile(rows.map((r) => r.http), 0.99)) },
    lobbyFrames: fanouts.length,
    fanoutMs: round(median(fanouts.map((f) => f.last - f.first))),
    slowDuringFanout: round(slow.filter(during).length / slow.length, 2),
    fastDuringFanout: round(fast.filter(during).length / Math.max(1, fast.length), 2),
    runtimeCpu,
    profiles,
  };
}

async function bareRound(bare) {
  const sock = await openOne(`${ws(bare.url)}/ws?room=private`);
  await sleep(200);
  let pending = null;
  sock.on("message", () => pending?.());
  const events = [];
  for (let i = 0; i < OPENS; i++) {
    const got = new Promise((resolve) => (pending = () => resolve(performance.now())));
    const t0 = performance.now();
    await expectStatus(request(bare.url, "POST", "/send?room=private"), 200, "bare send");
    events.push((await got) - t0);
  }
  sock.close();
  return { event: { p50: round(median(events)), p95: round(quantile(events, 0.95)), p99: round(quantile(events, 0.99)) } };
}

try {
  const products = [];
  for (const [i, ref] of refsArg.entries()) products.push(await startProduct(ref, ref ? ref.replace(/[^a-z0-9]/gi, "_") : "tree"));
  const bareServer = await startWrangler({ name: "bare", stateDir: path.join(tmp, "bare"), config: "bench/ceilings/fanout/wrangler.toml" });
  servers.push(bareServer);
  const bare = await findRuntime(bareServer);
  out.products = products.map((p) => ({ label: p.label, commit: p.commit }));
  for (const n of N) {
    const lobbies = new Map();
    for (const p of products) lobbies.set(p, await openSockets(`${ws(p.url)}/ws/lobby`, n, { concurrency: 50 }));
    const idle = await openSockets(`${ws(bare.url)}/ws`, n, { concurrency: 50 });
    await sleep(3_000);
    for (let r = 0; r < ROUNDS; r++) {
      const b = await bareRound(bare);
      out.rows.push({ n, round: r, variant: "bare", load: loadavg(), ...b });
      log(`N=${n} r${r} bare: event p50 ${b.event.p50} p99 ${b.event.p99} (load ${loadavg()})`);
      for (const p of products) {
        for (const silent of [false, true]) {
          const variant = `${p.label}${silent ? ", lobby silent" : ""}`;
          const res = await productRound(p, silent, lobbies.get(p), n === PROFILE_N && r === 0 && !silent);
          out.rows.push({ n, round: r, variant, commit: p.commit, load: loadavg(), ...res, ratioToBareP99: round(res.event.p99 / b.event.p99) });
          log(`N=${n} r${r} ${variant}: event p50 ${res.event.p50} p99 ${res.event.p99} (${round(res.event.p99 / b.event.p99)}× bare), ${res.lobbyFrames} lobby frames (fan-out ${res.fanoutMs} ms), slowest 10 % during a fan-out ${res.slowDuringFanout}, fastest half ${res.fastDuringFanout}, runtime CPU ${res.runtimeCpu} of a core (load ${loadavg()})`);
          for (const [id, prof] of Object.entries(res.profiles ?? {})) log(`  profile ${id.slice(0, 40)}: ${prof.top.slice(0, 6).map((t) => `${t.fn} ${t.pct}%`).join("; ")}`);
        }
      }
    }
    for (const s of lobbies.values()) await closeSockets(s);
    await closeSockets(idle);
  }
  out.loadAtEnd = loadavg();
  mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench", "results", "latest-private.json"), JSON.stringify(out, null, 2));
  // Medians over rounds, per N and variant.
  const keys = [...new Set(out.rows.map((r) => `${r.n}|${r.variant}`))];
  console.log(`load ${out.loadAtStart} → ${out.loadAtEnd}\n| N | variant | event p50 ms | event p99 ms | p99 ratio to bare (same round) | lobby frames | fan-out ms | slowest 10 % during a fan-out | fastest half during one | runtime CPU (cores) | load |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const key of keys) {
    const rs = out.rows.filter((r) => `${r.n}|${r.variant}` === key);
    const m = (f) => round(median(rs.map(f)));
    console.log(`| ${rs[0].n} | ${rs[0].variant} | ${m((r) => r.event.p50)} | ${m((r) => r.event.p99)} | ${rs[0].ratioToBareP99 === undefined ? 1 : m((r) => r.ratioToBareP99)} | ${rs[0].lobbyFrames === undefined ? "–" : m((r) => r.lobbyFrames)} | ${rs[0].fanoutMs === undefined ? "–" : m((r) => r.fanoutMs)} | ${rs[0].slowDuringFanout === undefined ? "–" : m((r) => r.slowDuringFanout)} | ${rs[0].fastDuringFanout === undefined ? "–" : m((r) => r.fastDuringFanout)} | ${rs[0].runtimeCpu === undefined ? "–" : m((r) => r.runtimeCpu)} | ${rs.map((r) => r.load.split(" ")[0]).join(", ")} |`);
  }
} finally {
  for (const s of servers) await s.stop();
  rmSync(tmp, { recursive: true, force: true });
}
