#!/usr/bin/env node
// `npm run bench:reconnect`: a deploy with many players online. N SDK clients (private + lobby
// socket each, token auth: the first connect fetches a ticket, a reconnect presents the hub's resume
// credential, and a ticket again only when that was refused) spread over several processes
// reach the runtime through a TCP forwarder on a fixed port (the runtime's own port changes on every
// restart; wrangler's dev proxy would cost ~6.5 open files per socket). Events flow the whole time
// (openings: private events; an admin toggling a case: lobby events). Then the runtime is restarted
// the way a deploy does it (wrangler dev reloads on a code change: new process, every socket
// dropped): with every client on a steady connection (--repeat storms in a row, quoted as their
// medians), then with a share of "flaky" clients that cut their own connection every 5–10 s. Reported: time until 50 / 99 / 100 % are
// back, clients never back, the peak request rate at the server, and whether the application saw
// every event exactly once and in order (checked against D1 afterwards), plus the money invariant.
// The ceiling, in the same run once the product's runtime is stopped: the same clients (same
// players, tokens, tuning and processes, through a forwarder of their own) on a bare runtime
// (bench/ceilings/storm: a ticket that is the token, a bare Durable Object per player and one for
// the lobby, one welcome each, no D1), restarted the same way and measured the same way (--repeat times), with
// every client steady and NO traffic (no openings, no toggles: there is nothing behind them), so it
// is the steady storm's ceiling. Then the same ceiling again behind the static-assets router the
// product uses (bench/ceilings/storm-assets: [assets] with run_worker_first, so every handshake
// passes the router's Worker first, as the product's do). Reported beside the storms, with the
// product/ceiling ratios of the time back from the runtime up (p50/p99/p100) and of the runtime's
// CPU until all are back, against each ceiling.
// Loopback only; loops bounded in count and time; stops everything it started.
//
//   node bench/reconnect.mjs [--clients=2500] [--users=500] [--processes=5] [--flaky=0.1]
//                            [--rate=10] [--phases=steady,flaky] [--tuning='{"minDelayMs":500}']
//                            [--ref=HEAD] [--smoke] [--profile] [--no-ceiling] [--repeat=3] [--load-nice=0]
import { fork } from "node:child_process";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { ROOT } from "../scripts/lib/dev-server.mjs";
import { seedDemo } from "../scripts/lib/seed-demo.mjs";
import { call, expectStatus, makePlayers, request } from "./lib/api.mjs";
import { busiestThreads, cpuTimeMs, schedMs, startProfile, threadCpuMs } from "./lib/cpu.mjs";
import { findRuntime, migratedProduct, startWrangler } from "./lib/dev.mjs";
import { arg, launcher } from "./lib/launcher.mjs";
import { median, quantile, round, sleep } from "./lib/stats.mjs";
import { queryLocal } from "./invariant.mjs";

const smoke = process.argv.includes("--smoke");
const CFG = {
  clients: Number(arg("clients", smoke ? 200 : 2_500)),
  users: Number(arg("users", smoke ? 40 : 500)),
  processes: Number(arg("processes", smoke ? 2 : 5)),
  flakyShare: Number(arg("flaky", 0.1)),
  // A flaky client's connection dies after a random 5–10 s, again and again.
  flakyEveryMs: arg("flaky-every", "5-10").split("-").map((s) => Number(s) * 1000),
  opensPerSecond: Number(arg("rate", 5)),
  phases: arg("phases", "steady,flaky").split(","),
  tuning: JSON.parse(arg("tuning", "{}")),
  steadyMs: smoke ? 3_000 : 8_000,
  backDeadlineMs: 180_000,
  label: arg("label", ""),
  // A V8 profile of the runtime's isolates from the switch to the new runtime until all are back
  // (the inspector costs the runtime some CPU: for where the time goes, not for the figures).
  profile: process.argv.includes("--profile"),
  ceiling: !process.argv.includes("--no-ceiling"),
  // Steady storms (and ceiling storms) in a row: the figures are quoted as their medians.
  repeat: Number(arg("repeat", 1)),
  // The load generator's niceness (the client processes and the forwarder, every thread of them):
  // players' devices are not the server's cores. --load-nice=10 gives the runtime a core first; on
  // 2 December that changed nothing measurable (the runtime's thread still waited 0.4–1.1 s for a
  // core per storm), so the default shares the cores evenly, as every run before.
  loadNice: Number(arg("load-nice", 0)),
};
const { tmp, stops, log, run } = launcher("reconnect");

// ------------------------------------------------------------------ child processes over IPC

function child(script, args = []) {
  // Every child is part of the load generator (clients, forwarder): see CFG.loadNice. Started under
  // nice(1), so that every thread of it is (V8's and libuv's helpers too, not only the main thread).
  const niced = CFG.loadNice !== 0 ? { execPath: "nice", execArgv: ["-n", String(CFG.loadNice), process.execPath] } : {};
  const proc = fork(script, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], ...niced });
  let nextId = 0;
  const pending = new Map();
  const listeners = new Set();
  proc.on("message", (m) => {
    if (m.id !== undefined && pending.has(m.id)) {
      const { resolve, reject } = pending.get(m.id);
      pending.delete(m.id);
      m.error ? reject(new Error(m.error)) : resolve(m);
    } else for (const l of listeners) l(m);
  });
  proc.on("exit", () => {
    for (const { reject } of pending.values()) reject(new Error(`${path.basename(script)} exited`));
  });
  return {
    proc,
    ask: (cmd, extra = {}, timeoutMs = 300_000) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => (pending.delete(id), reject(new Error(`${cmd}: no answer in ${timeoutMs} ms`))), timeoutMs);
        pending.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
        proc.send({ id, cmd, ...extra });
      }),
    once: (match) => new Promise((resolve) => listeners.add(function l(m) { if (match(m)) (listeners.delete(l), resolve(m)); })),
  };
}

const portOf = (url) => Number(new URL(url).port);

// ------------------------------------------------------------------ traffic while it all happens

/** Openings for random players and a case toggled by the admin, each retried with its key through the outage. */
function startTraffic(baseUrl, { players, openCaseId, toggleCaseId, adminToken }) {
  const stats = { opens: 0, opensReplayed: 0, opensFailed: 0, toggles: 0, togglesFailed: 0, retries: 0 };
  const inflight = new Set();
  let stopped = false;
  const withRetry = async (send, ok) => {
    const deadline = Date.now() + 90_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      try {
        const res = await send();
        if (ok(res)) return res;
        if (res.status < 500) throw new Error(`HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      } catch (err) {
        if (!/ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|timed out/.test(String(err?.message ?? err)) && !String(err).startsWith("Error: HTTP 5")) throw err;
      }
      stats.retries++;
      await sleep(500);
    }
    return null;
  };
  const track = (promise) => {
    inflight.add(promise);
    promise.finally(() => inflight.delete(promise));
  };
  // A player opens one case at a time and the admin makes one edit at a time, as people do: the
  // order of their changes is then the order their events must reach the application in.
  const busy = new Set();
  const open = () => {
    const player = players[Math.floor(Math.random() * players.length)];
    if (busy.has(player.id)) return;
    busy.add(player.id);
    const key = `storm-${crypto.randomUUID()}`;
    track(
      withRetry(() => request(baseUrl, "POST", `/api/cases/${openCaseId}/open`, { token: player.token, body: { count: 1 }, headers: { "idempotency-key": key } }), (r) => r.status === 201)
        .then((res) => (res ? (stats.opens++, res.headers["idempotent-replayed"] && stats.opensReplayed++) : stats.opensFailed++))
        .catch(() => stats.opensFailed++)
        .finally(() => busy.delete(player.id)),
    );
  };
  let active = false;
  const toggle = () => {
    if (busy.has("admin")) return;
    busy.add("admin");
    active = !active;
    track(
      withRetry(() => request(baseUrl, "PATCH", `/api/admin/cases/${toggleCaseId}`, { token: adminToken, body: { active } }), (r) => r.status === 200)
        .then((res) => (res ? stats.toggles++ : stats.togglesFailed++))
        .catch(() => stats.togglesFailed++)
        .finally(() => busy.delete("admin")),
    );
  };
  // --rate=0: no openings (an interval of Infinity would fire every millisecond).
  const openTimer = CFG.opensPerSecond > 0 ? setInterval(() => !stopped && open(), 1_000 / CFG.opensPerSecond) : undefined;
  const toggleTimer = setInterval(() => !stopped && toggle(), 2_000);
  return {
    stats,
    async stop() {
      stopped = true;
      clearInterval(openTimer);
      clearInterval(toggleTimer);
      await Promise.allSettled([...inflight]);
      return stats;
    },
  };
}

// ------------------------------------------------------------------ the forwarder and the clients

/** The forwarder, pointed at `runtime`: its address is the one every client keeps. Its stop goes on `stops`. */
async function startForwarder(runtime, stops) {
  const forwarder = child(path.join(ROOT, "bench/reconnect/forwarder.mjs"));
  stops.push(() => forwarder.proc.connected && forwarder.proc.send({ stop: true }));
  const { listening } = await forwarder.once((m) => m.listening);
  forwarder.proc.send({ target: portOf(runtime.url) });
  return { forwarder, baseUrl: `http://127.0.0.1:${listening}` };
}

/** CFG.processes client processes sharing `specs`, every client connected (ms: the slowest process's time). Their stop goes on `stops`. */
async function connectClients(baseUrl, sdkPath, specs, stops) {
  const workers = Array.from({ length: CFG.processes }, () => child(path.join(ROOT, "bench/reconnect/clients.mjs")));
  stops.push(async () => Promise.allSettled(workers.map((w) => w.ask("close", {}, 10_000))));
  await Promise.all(
    workers.map((w, p) =>
      w.ask("init", { config: { baseUrl, sdkPath, tuning: CFG.tuning, flakyEveryMs: CFG.flakyEveryMs, connectConcurrency: 10, clients: specs.filter((s) => s.index % CFG.processes === p) } }),
    ),
  );
  log(`connecting ${CFG.clients} clients (${CFG.users} players) over ${CFG.processes} processes`);
  const progress = setInterval(async () => {
    const settled = (await Promise.all(workers.map((w) => w.ask("settled")))).reduce((a, r) => a + r.settled, 0);
    log(`  ${settled} connected`);
  }, 15_000);
  const connectMs = await Promise.all(workers.map((w) => w.ask("connect", {}, 600_000)))
    .then((r) => Math.max(...r.map((x) => x.ms)))
    .finally(() => clearInterval(progress));
  log(`connected in ${connectMs} ms`);
  return { workers, connectMs };
}

// ------------------------------------------------------------------ the restart and its storm

/**
 * A deploy, as wrangler dev does one: a code change (to `file`, relative to the tree: the runtime's
 * entry), a new runtime process on a new port.
 */
async function restart(server, tree, current, forwarder, n, file, profile) {
  const triggeredAt = Date.now();
  appendFileSync(path.join(tree, file), `\n// bench restart ${n}\n`);
  const deadline = triggeredAt + 120_000;
  while (Date.now() < deadline) {
    try {
      const next = await findRuntime(server);
      if (next.url !== current.url) {
        const stopProfile = profile ? await startProfile(next.pid, (id) => /^(core:user|d1:db|core:entry)/.test(id), { top: 60 }) : null;
        forwarder.proc.send({ target: portOf(next.url) });
        return { triggeredAt, switchedAt: Date.now(), runtime: next, stopProfile };
      }
    } catch {}
    await sleep(50);
  }
  throw new Error("the runtime did not come back within 120 s");
}

/**
 * The storm in STEP_MS steps from the switch: [from s, runtime main thread on a CPU %, waiting for
 * a CPU %, clients + forwarder in cores, clients back in the step]. Off the CPU and not waiting is
 * the thread idle or blocked (an fsync, nothing to do).
 */
function timeline(samples, switchedAt, backs) {
  const STEP_MS = 500;
  const steps = [];
  for (let from = switchedAt; from < (samples.at(-1)?.at ?? switchedAt); from += STEP_MS) {
    const inStep = samples.filter((s) => s.at >= from && s.at <= from + STEP_MS && s.main);
    const first = inStep[0];
    const last = inStep.at(-1);
    if (!first || first === last) continue;
    const span = last.at - first.at;
    const pct = (key) => round((100 * (last.main[key] - first.main[key])) / span, 0);
    const othersMs = Object.keys(first.others).reduce((a, k) => a + last.others[k] - first.others[k], 0);
    steps.push([round((from - switchedAt) / 1000, 1), pct("onCpuMs"), pct("runqueueMs"), round(othersMs / span, 2), backs.filter((t) => t >= from && t < from + STEP_MS).length]);
  }
  return steps;
}

/** Requests that reached the server per second, at the busiest second (1 s sliding over 100 ms buckets). */
function peakRate(buckets, from, to, kinds) {
  const merged = new Map();
  for (const [bucket, counts] of buckets) {
    const t = bucket * 100;
    if (t < from || t > to) continue;
    merged.set(bucket, (merged.get(bucket) ?? 0) + kinds.reduce((a, k) => a + counts[k], 0));
  }
  let peak = 0;
  let total = 0;
  for (const [bucket] of merged) {
    let sum = 0;
    for (let b = bucket; b < bucket + 10; b++) sum += merged.get(b) ?? 0;
    peak = Math.max(peak, sum);
  }
  for (const v of merged.values()) total += v;
  return { peakPerSecond: peak, total };
}

/** `file` is touched to restart the runtime; `profiled` only for the product (the profile picks its isolates by name). */
async function measureStorm(name, { server, tree, runtime, forwarder, workers, n, file = "src/index.ts", profiled = CFG.profile }) {
  log(`${name}: restarting the runtime (deploy ${n})`);
  const r = await restart(server, tree, runtime, forwarder, n, file, profiled);
  const cpuAtSwitch = cpuTimeMs(r.runtime.pid);
  const threadsAtSwitch = threadCpuMs(r.runtime.pid);
  // The runtime's main thread runs every isolate: its time on a CPU, and its time ready but waiting.
  const schedAtSwitch = schedMs(r.runtime.pid);
  // The rest of the machine's work in the storm, on the same 2 cores: the clients, the forwarder, wrangler.
  const others = { clients: workers.map((w) => w.proc.pid), forwarder: [forwarder.proc.pid], wrangler: [server.pid] };
  const othersCpu = () => Object.fromEntries(Object.entries(others).map(([k, pids]) => [k, pids.reduce((a, pid) => a + cpuTimeMs(pid), 0)]));
  const othersAtSwitch = othersCpu();
  log(`${name}: new runtime on ${r.runtime.url} after ${r.switchedAt - r.triggeredAt} ms`);
  // Every 100 ms: where the main thread's time went and how busy the rest of the machine was (see timeline()).
  const samples = [];
  const sample = () => samples.push({ at: Date.now(), main: schedMs(r.runtime.pid), others: othersCpu() });
  sample();
  const sampler = setInterval(sample, 100);
  let allBackAt = null;
  const deadline = r.switchedAt + CFG.backDeadlineMs;
  while (Date.now() < deadline) {
    const counts = await Promise.all(workers.map((w) => w.ask("status", { after: r.switchedAt })));
    const back = counts.reduce((a, c) => a + c.back, 0);
    if (back === CFG.clients) {
      allBackAt = Date.now();
      break;
    }
    await sleep(250);
  }
  clearInterval(sampler);
  sample();
  const cpuMs = cpuTimeMs(r.runtime.pid) - cpuAtSwitch;
  const othersNow = othersCpu();
  const threads = busiestThreads(threadsAtSwitch, threadCpuMs(r.runtime.pid));
  const schedNow = schedMs(r.runtime.pid);
  const profile = r.stopProfile ? await r.stopProfile() : null;
  await sleep(1_000);
  const reports = await Promise.all(workers.map((w) => w.ask("report", { mark: r.triggeredAt, after: r.switchedAt })));
  const clients = reports.flatMap((x) => x.storm);
  const buckets = reports.flatMap((x) => x.buckets);
  const drops = clients.map((c) => c.dropAt).filter((t) => t !== null);
  const firstDrop = drops.length ? Math.min(...drops) : r.triggeredAt;
  const backs = clients.map((c) => c.backAt).filter((t) => t !== null);
  const since = (t) => (t - firstDrop) / 1000;
  const stats = (list) => ({
    p50: round(since(quantile(list, 0.5)), 2),
    p99: round(since(quantile(list, 0.99)), 2),
    p100: list.length ? round(since(Math.max(...list)), 2) : null,
  });
  const end = (allBackAt ?? deadline) + 1_000;
  const result = {
    name,
    // The machine is shared: its load when the storm was over.
    loadavg: (await import("node:fs")).readFileSync("/proc/loadavg", "utf8").trim(),
    clients: clients.length,
    dropped: drops.length,
    restart: { triggeredToFirstDropS: round((firstDrop - r.triggeredAt) / 1000, 2), outageS: round(since(r.switchedAt), 2) },
    backFromFirstDropS: stats(backs),
    // From the moment the new runtime serves (the forwarder switched to it after its /health answered).
    backFromRuntimeUpS: {
      p50: round((quantile(backs, 0.5) - r.switchedAt) / 1000, 2),
      p99: round((quantile(backs, 0.99) - r.switchedAt) / 1000, 2),
      p100: backs.length ? round((Math.max(...backs) - r.switchedAt) / 1000, 2) : null,
    },
    // Half-second steps from the switch: the main thread's share on a CPU and waiting for one, the
    // cores the clients and the forwarder used, and how many clients came back in the step.
    timeline: timeline(samples, r.switchedAt, backs),
    flakyBackFromFirstDropS: stats(clients.filter((c) => c.flaky && c.backAt !== null).map((c) => c.backAt)),
    neverBack: clients.length - backs.length,
    neverBackShare: round((clients.length - backs.length) / clients.length, 4),
    serverRequests: peakRate(buckets, r.switchedAt, end, ["tickets", "handshakes"]),
    // Private attempts that presented a resume credential, and tickets fetched (a D1 write each).
    privateAttempts: { resumed: peakRate(buckets, firstDrop, end, ["resumes"]).total, tickets: peakRate(buckets, firstDrop, end, ["tickets"]).total },
    attemptsPerSocket: round(peakRate(buckets, firstDrop, end, ["attempts"]).total / (2 * clients.length), 3),
    clientAttempts: peakRate(buckets, firstDrop, end, ["attempts", "ticketErrors"]),
    // Answered, but not with a ticket or a socket (503 from D1's deadline, 401 for a stale ticket…).
    refusedByServer: { tickets: peakRate(buckets, firstDrop, end, ["ticketRefused"]).total, handshakes: peakRate(buckets, firstDrop, end, ["handshakeRefused"]).total },
    // Attempts that never reached the runtime (it was down, or the connection broke).
    notReached: peakRate(buckets, firstDrop, end, ["refused", "ticketErrors"]).total,
    runtimeCpuMsUntilAllBack: round(cpuMs, 0),
    // Where the runtime's CPU went by thread (the JS of every isolate runs on one of them).
    runtimeThreads: threads,
    // Of the time until all were back: the main thread on a CPU, and ready to run but waiting for a
    // core (the clients, the forwarder and V8's helpers share the machine's cores with it).
    runtimeMainThreadMs:
      schedAtSwitch && schedNow
        ? { onCpu: round(schedNow.onCpuMs - schedAtSwitch.onCpuMs, 0), waitingForCpu: round(schedNow.runqueueMs - schedAtSwitch.runqueueMs, 0) }
        : null,
    otherCpuMsUntilAllBack: Object.fromEntries(Object.entries(othersNow).map(([k, v]) => [k, round(v - othersAtSwitch[k], 0)])),
    // Medians per socket: wait before the first attempt after the drop, attempts until back, the last
    // attempt's handshake (ticket included for the private socket) and handshake to welcome.
    where: Object.fromEntries(
      ["user", "lobby"].map((ch) => {
        const med = (key) => {
          const values = clients.map((c) => c.channels[ch][key]).filter((v) => v !== null);
          return values.length ? { p50: quantile(values, 0.5), p99: quantile(values, 0.99) } : null;
        };
        return [ch, { firstAttemptMs: med("firstAttemptMs"), attempts: med("attempts"), handshakeMs: med("handshakeMs"), welcomeMs: med("welcomeMs") }];
      }),
    ),
  };
  log(`${name}: ${JSON.stringify(result)}`);
  if (profile) {
    for (const [id, p] of Object.entries(profile)) {
      log(`profile ${id}: ${JSON.stringify(p.buckets)}`);
      for (const t of p.top.slice(0, 20)) log(`   ${t.pct}% ${t.ms} ms ${t.fn}`);
    }
    result.profile = profile;
  }
  return { result, runtime: r.runtime };
}

// ------------------------------------------------------------------ the ceiling

/**
 * The two ceilings: the bare runtime, and the same behind the static-assets router the product
 * uses (every product request passes it first: a Worker hop of its own per handshake).
 */
const CEILINGS = {
  bare: { label: "ceiling", config: "bench/ceilings/storm/wrangler.toml" },
  router: { label: "ceiling behind the router", config: "bench/ceilings/storm-assets/wrangler.toml" },
};

/**
 * The same clients on a bare runtime (`kind`: a key of CEILINGS), on their own server, forwarder
 * and client processes, restarted and measured as the product's steady storm, without traffic.
 * Stops everything it started before it returns.
 */
async function ceilingStorm(tree, sdkPath, specs, kind) {
  const { label, config } = CEILINGS[kind];
  const own = [];
  try {
    const stateDir = path.join(tmp, `ceiling-storm-${kind}`);
    mkdirSync(stateDir);
    const server = await startWrangler({ name: `ceiling-storm-${kind}`, stateDir, root: tree, config });
    own.push(() => server.stop());
    const runtime = await findRuntime(server);
    const { forwarder, baseUrl } = await startForwarder(runtime, own);
    const { workers, connectMs } = await connectClients(baseUrl, sdkPath, specs, own);
    await sleep(CFG.steadyMs);
    const storms = [];
    let current = runtime;
    for (let n = 1; n <= CFG.repeat; n++) {
      const storm = await measureStorm(CFG.repeat > 1 ? `${label} ${n}` : label, { server, tree, runtime: current, forwarder, workers, n, file: "bench/ceilings/storm/worker.ts", profiled: false });
      storms.push(storm.result);
      current = storm.runtime;
      await sleep(CFG.steadyMs);
    }
    return { storms, median: medianStorm(storms), connectMs, ok: storms.every((r) => r.clients === CFG.clients && r.neverBack === 0) };
  } finally {
    for (const stop of own.reverse()) {
      try {
        await stop();
      } catch {}
    }
  }
}

/** The medians of a few storms' headline figures (back from runtime up, runtime CPU). */
function medianStorm(storms) {
  const med = (pick) => median(storms.map(pick).filter((v) => Number.isFinite(v)));
  return {
    storms: storms.length,
    backFromRuntimeUpS: Object.fromEntries(["p50", "p99", "p100"].map((q) => [q, round(med((r) => r.backFromRuntimeUpS[q]), 2)])),
    runtimeCpuMsUntilAllBack: round(med((r) => r.runtimeCpuMsUntilAllBack), 0),
    neverBack: Math.max(...storms.map((r) => r.neverBack)),
  };
}

const times = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 2) : null);

/** How many times the ceiling's figure the product's is (higher = slower, or more CPU). */
const vsCeiling = (storm, ceiling) => ({
  backFromRuntimeUp: Object.fromEntries(["p50", "p99", "p100"].map((q) => [q, times(storm.backFromRuntimeUpS[q], ceiling.backFromRuntimeUpS[q])])),
  runtimeCpuUntilAllBack: times(storm.runtimeCpuMsUntilAllBack, ceiling.runtimeCpuMsUntilAllBack),
});

// ------------------------------------------------------------------ exactly once, in order

/**
 * Every event the application should have seen, against what it saw. A missed event is either
 * recovered (its client resynced on that channel: the audit found the change D1 holds and the
 * screen refetched it, as for a change committed just before the runtime died and never published)
 * or silent (nothing told the client: its screen stays wrong). Only silent misses, duplicates and
 * disorder fail the run.
 */
function checkDelivery(events, finalVersions, finalCatalog) {
  const out = { clients: events.length, expectedEvents: 0, delivered: 0, missed: 0, missedRecovered: 0, missedSilently: 0, duplicated: 0, outOfOrder: 0, resyncs: 0, resyncReasons: {}, flakyCuts: 0, reconnects: 0, missedExamples: [] };
  const check = (label, client, delivered, from, to) => {
    const expected = Math.max(0, to - from);
    out.expectedEvents += expected;
    out.delivered += delivered.length;
    const seen = new Set();
    for (let i = 0; i < delivered.length; i++) {
      if (seen.has(delivered[i])) out.duplicated++;
      seen.add(delivered[i]);
      if (i > 0 && delivered[i] <= delivered[i - 1]) out.outOfOrder++;
    }
    let missed = 0;
    for (let v = from + 1; v <= to; v++) if (!seen.has(v)) missed++;
    out.missed += missed;
    const channel = label === "cases:updated" ? "lobby" : "user";
    if (client.resyncs.some((r) => r.channel === channel)) out.missedRecovered += missed;
    else out.missedSilently += missed;
    if (missed && out.missedExamples.length < 5) {
      const missing = [];
      for (let v = from + 1; v <= to && missing.length < 10; v++) if (!seen.has(v)) missing.push(v);
      out.missedExamples.push({ client: client.index, label, from, to, missing, resynced: client.resyncs.some((r) => r.channel === channel) });
    }
  };
  for (const client of events) {
    const final = finalVersions.get(client.userId);
    check("balance:updated", client, client.balance, client.baseline.account, final);
    check("inventory:updated", client, client.inventory, client.baseline.account, final);
    check("cases:updated", client, client.cases, client.baseline.catalog, finalCatalog);
    out.resyncs += client.resyncs.length;
    for (const r of client.resyncs) out.resyncReasons[`${r.channel}:${r.reason}`] = (out.resyncReasons[`${r.channel}:${r.reason}`] ?? 0) + 1;
    out.flakyCuts += client.cuts;
    out.reconnects += client.reconnects.user + client.reconnects.lobby;
  }
  out.ok = out.missedSilently === 0 && out.duplicated === 0 && out.outOfOrder === 0;
  return out;
}

// ------------------------------------------------------------------ main

async function main() {
  const started = new Date();
  const load = (await import("node:fs")).readFileSync("/proc/loadavg", "utf8").trim();
  log(`config ${JSON.stringify(CFG)}; load ${load}`);
  const { tree, state } = migratedProduct(tmp);
  const server = await startWrangler({ name: "product", stateDir: state, root: tree });
  stops.push(() => server.stop());
  let runtime = await findRuntime(server);

  const sdkPath = path.join(tmp, "sdk.mjs");
  await build({ entryPoints: [path.join(tree, "src/client/index.ts")], bundle: true, format: "esm", platform: "node", target: "node20", outfile: sdkPath, logLevel: "warning" });

  const { forwarder, baseUrl } = await startForwarder(runtime, stops);

  log(`seeding ${CFG.users} players`);
  const { admin } = await seedDemo(server.url, state);
  const players = await makePlayers(server.url, admin.token, CFG.users, 1_000_000, "storm");
  const item = { name: "Storm token", rarity: "consumer", value: 1, kind: "skin", weight: 1 };
  const created = async (slug) =>
    (await expectStatus(call(server.url, "POST", "/api/admin/cases", { token: admin.token, body: { name: slug, slug, imageUrl: null, price: 1, active: true, items: [item] } }), 201, slug)).body.case.id;
  const openCaseId = await created("storm-open");
  const toggleCaseId = await created("storm-toggle");

  const specs = Array.from({ length: CFG.clients }, (_, i) => ({
    index: i,
    userId: players[i % players.length].id,
    token: players[i % players.length].token,
    // Every tenth client is flaky (for a 0.1 share), spread over users and processes.
    flaky: CFG.flakyShare > 0 && i % Math.round(1 / CFG.flakyShare) === Math.round(1 / CFG.flakyShare) - 1,
  }));
  const { workers, connectMs } = await connectClients(baseUrl, sdkPath, specs, stops);

  const traffic = startTraffic(baseUrl, { players, openCaseId, toggleCaseId, adminToken: admin.token });
  const storms = [];
  await sleep(CFG.steadyMs);
  if (CFG.phases.includes("steady")) {
    for (let i = 1; i <= CFG.repeat; i++) {
      const steady = await measureStorm(CFG.repeat > 1 ? `steady ${i}` : "steady", { server, tree, runtime, forwarder, workers, n: storms.length + 1 });
      storms.push(steady.result);
      runtime = steady.runtime;
      await sleep(CFG.steadyMs);
    }
  }
  if (CFG.phases.includes("flaky")) {
    await Promise.all(workers.map((w) => w.ask("flaky", { on: true })));
    await sleep(CFG.steadyMs);
    const flaky = await measureStorm(`flaky ${Math.round(CFG.flakyShare * 100)} %`, { server, tree, runtime, forwarder, workers, n: storms.length + 1 });
    storms.push(flaky.result);
    runtime = flaky.runtime;
    await sleep(CFG.steadyMs);
    await Promise.all(workers.map((w) => w.ask("flaky", { on: false })));
  }

  const trafficStats = await traffic.stop();
  log(`traffic stopped: ${JSON.stringify(trafficStats)}; waiting until every client is connected`);
  const settleDeadline = Date.now() + 60_000;
  let settled = 0;
  while (Date.now() < settleDeadline) {
    settled = (await Promise.all(workers.map((w) => w.ask("settled")))).reduce((a, r) => a + r.settled, 0);
    if (settled === CFG.clients) break;
    await sleep(500);
  }
  await sleep(3_000);
  const events = (await Promise.all(workers.map((w) => w.ask("events")))).flatMap((r) => r.events);
  // The truth from D1, read from its file once the runtime is stopped (a busy runtime holds its lock).
  for (const stop of stops.splice(1).reverse()) await stop();
  await server.stop();
  const rows = await queryLocal(state, "SELECT id, version FROM users WHERE email LIKE 'storm-%'");
  const [{ version: finalCatalog }] = await queryLocal(state, "SELECT version FROM catalog_state WHERE id = 1");
  const delivery = checkDelivery(events, new Map(rows.map((r) => [r.id, r.version])), finalCatalog);
  const [money] = await queryLocal(
    state,
    `SELECT (SELECT COUNT(*) FROM users u WHERE u.balance != (SELECT COALESCE(SUM(l.delta), 0) FROM ledger l WHERE l.user_id = u.id)) AS mismatched,
            (SELECT COUNT(*) FROM users WHERE balance < 0) AS negative,
            (SELECT COUNT(*) FROM ledger l JOIN users u ON u.id = l.user_id WHERE u.email LIKE 'storm-%' AND l.reason = 'open') AS opens,
            (SELECT COUNT(*) FROM openings o JOIN users u ON u.id = o.user_id WHERE u.email LIKE 'storm-%') AS openings`,
  );
  // Opens whose every retry failed may still have committed (their answer was lost): at least as
  // many opens as the driver saw succeed, each with its opening.
  money.ok = money.mismatched === 0 && money.negative === 0 && money.opens === money.openings && money.opens >= trafficStats.opens;
  log(`delivery ${JSON.stringify(delivery)}; money ${JSON.stringify(money)}`);

  // The ceilings once the product is stopped, so that none shares the machine with another.
  const ceilings = {};
  if (CFG.ceiling) {
    for (const kind of Object.keys(CEILINGS)) {
      try {
        ceilings[kind] = await ceilingStorm(tree, sdkPath, specs, kind);
      } catch (err) {
        log(`${CEILINGS[kind].label} failed: ${err?.stack ?? err}`);
        ceilings[kind] = { error: String(err?.message ?? err), ok: false };
      }
    }
  }
  const ceiling = ceilings.bare ?? null;
  const routerCeiling = ceilings.router ?? null;
  // The steady storms' medians against each ceiling's (each storm alone too, for the record).
  const steadyStorms = storms.filter((storm) => storm.name.startsWith("steady"));
  const steadyMedian = steadyStorms.length ? medianStorm(steadyStorms) : null;
  const against = (c) =>
    c?.median
      ? {
          ...(steadyMedian ? { "steady (medians)": vsCeiling(steadyMedian, c.median) } : {}),
          ...Object.fromEntries(storms.map((storm) => [storm.name, vsCeiling(storm, c.median)])),
        }
      : null;
  const ratios = against(ceiling);
  const routerRatios = against(routerCeiling);
  for (const [kind, r] of [["bare", ratios], ["router", routerRatios]]) {
    if (!r) continue;
    const c = ceilings[kind].median.backFromRuntimeUpS;
    const label = CEILINGS[kind].label;
    log(`${label} (median of ${ceilings[kind].median.storms}): back from runtime up p50/p99/p100 ${c.p50}/${c.p99}/${c.p100} s, runtime CPU ${ceilings[kind].median.runtimeCpuMsUntilAllBack} ms, never back ${ceilings[kind].median.neverBack}`);
    for (const storm of steadyMedian ? [{ ...steadyMedian, name: "steady (medians)" }, ...storms] : storms) {
      const b = storm.backFromRuntimeUpS;
      const v = r[storm.name];
      log(`${storm.name}: back p50/p99/p100 ${b.p50}/${b.p99}/${b.p100} s (${v.backFromRuntimeUp.p50}×/${v.backFromRuntimeUp.p99}×/${v.backFromRuntimeUp.p100}× the ${label}), runtime CPU ${storm.runtimeCpuMsUntilAllBack} ms (${v.runtimeCpuUntilAllBack}×)`);
    }
  }

  const results = {
    startedAt: started.toISOString(),
    config: CFG,
    loadavgAtStart: load,
    loadavgAtEnd: (await import("node:fs")).readFileSync("/proc/loadavg", "utf8").trim(),
    connectMs,
    settledAtEnd: settled,
    storms,
    // The steady storm's ceilings: same clients, bare runtime (bench/ceilings/storm), no traffic;
    // and the same behind the product's static-assets router (bench/ceilings/storm-assets).
    ceiling,
    routerCeiling,
    steadyMedian,
    vsCeiling: ratios,
    vsRouterCeiling: routerRatios,
    traffic: trafficStats,
    delivery,
    money,
    anchor: { source: "Socket.IO, AnyCable's 10k-client reconnect benchmark", outageS: 6.8, neverBackShare: 0.038 },
  };
  const dir = path.join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  writeFileSync(path.join(dir, `${stamp}-reconnect${CFG.label ? `-${CFG.label}` : ""}.json`), JSON.stringify(results, null, 2));
  writeFileSync(path.join(dir, "latest-reconnect.json"), JSON.stringify(results, null, 2));
  console.log(JSON.stringify(results, null, 2));
  if (!delivery.ok || !money.ok || Object.values(ceilings).some((c) => !c.ok)) process.exitCode = 1;
}

await run(main);
