#!/usr/bin/env node
// `npm run bench:soak [-- --minutes=10]`: mixed traffic for a while (openings, claims, sells,
// admin edits and credits, SDK clients and bare lobby sockets connecting and leaving), the runtime's
// memory sampled all along, then everything closed and checked: sockets, alarms and storage rows in
// every object (through bench/soak/worker.ts, the product plus one report route), the money
// invariant, and the memory slope. A leak is a slope that does not flatten, or something left in an
// object after every client left. Loopback only; every loop bounded by the deadline.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import WebSocket from "ws";
import { ROOT } from "../scripts/lib/dev-server.mjs";
import { seedDemo } from "../scripts/lib/seed-demo.mjs";
import { call, expectStatus, makePlayers, request } from "./lib/api.mjs";
import { cpuTimeMs, heapUsage } from "./lib/cpu.mjs";
import { findRuntime, migratedProduct, openFiles, rssBytes, startWrangler } from "./lib/dev.mjs";
import { arg, launcher } from "./lib/launcher.mjs";
import { round, sleep } from "./lib/stats.mjs";
import { queryLocal } from "./invariant.mjs";

const CFG = {
  minutes: Number(arg("minutes", 10)),
  players: Number(arg("players", 60)),
  sdkClients: Number(arg("clients", 100)),
  lobbySockets: Number(arg("lobby", 200)),
  opensPerSecond: Number(arg("rate", 8)),
  sampleEveryMs: 5_000,
};
const { tmp, stops, log, run } = launcher("soak");
const pick = (list) => list[Math.floor(Math.random() * list.length)];

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return num / den;
}

/** Requests of one kind, counted by outcome; 5xx and resets retried with the same key a few times. */
function counter() {
  const counts = {};
  return {
    counts,
    async send(kind, fn) {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          const res = await fn();
          const key = `${kind}:${res.status}`;
          counts[key] = (counts[key] ?? 0) + 1;
          if (res.status < 500) return res;
        } catch (err) {
          counts[`${kind}:error`] = (counts[`${kind}:error`] ?? 0) + 1;
          if (!/ECONNRESET|EPIPE|socket hang up/.test(String(err?.message))) return null;
        }
        await sleep(200);
      }
      return null;
    },
  };
}

async function main() {
  const started = new Date();
  const loadAtStart = readFileSync("/proc/loadavg", "utf8").trim();
  log(`config ${JSON.stringify(CFG)}; load ${loadAtStart}`);
  const { tree, state } = migratedProduct(tmp);
  const server = await startWrangler({ name: "soak", stateDir: state, root: tree, script: "bench/soak/worker.ts" });
  stops.push(() => server.stop());
  const runtime = await findRuntime(server);
  const base = runtime.url;

  const sdkPath = path.join(tmp, "sdk.mjs");
  await build({ entryPoints: [path.join(tree, "src/client/index.ts")], bundle: true, format: "esm", platform: "node", target: "node20", outfile: sdkPath, logLevel: "warning" });
  const { createRealtime } = await import(sdkPath);

  const { admin } = await seedDemo(server.url, state);
  const players = await makePlayers(server.url, admin.token, CFG.players, 10_000_000, "soak");
  const cases = (await expectStatus(call(base, "GET", "/api/admin/cases", { token: admin.token }), 200, "cases")).body.cases;
  const openable = cases.filter((c) => c.active);
  const edited = cases[0];

  // ---------------------------------------------------------------- sockets that come and go
  const sdk = new Set();
  const lobby = new Set();
  const socketStats = { sdkOpened: 0, sdkClosed: 0, lobbyOpened: 0, lobbyClosed: 0, lobbyErrors: 0, events: 0, resyncs: 0 };
  const openSdk = () => {
    const player = pick(players);
    const rt = createRealtime({ baseUrl: base, auth: { kind: "token", token: player.token }, WebSocket });
    rt.on("balance:updated", () => socketStats.events++);
    rt.on("inventory:updated", () => socketStats.events++);
    rt.on("resync", () => socketStats.resyncs++);
    sdk.add(rt);
    socketStats.sdkOpened++;
  };
  const closeSdk = () => {
    const rt = pick([...sdk]);
    if (!rt) return;
    rt.close();
    sdk.delete(rt);
    socketStats.sdkClosed++;
  };
  const openLobby = () => {
    const ws = new WebSocket(`${base.replace("http", "ws")}/ws/lobby`, { perMessageDeflate: false });
    ws.on("error", () => socketStats.lobbyErrors++);
    ws.on("close", () => lobby.delete(ws));
    lobby.add(ws);
    socketStats.lobbyOpened++;
  };
  const closeLobby = () => {
    const ws = pick([...lobby]);
    if (!ws) return;
    // Half leave politely, half vanish (a closed laptop lid): both paths must clean up.
    if (Math.random() < 0.5) ws.close(1000);
    else ws.terminate();
    lobby.delete(ws);
    socketStats.lobbyClosed++;
  };
  for (let i = 0; i < CFG.sdkClients; i++) openSdk();
  for (let i = 0; i < CFG.lobbySockets; i++) openLobby();

  // ---------------------------------------------------------------- traffic
  const http = counter();
  const inflight = new Set();
  const fire = (kind, fn) => {
    const p = http.send(kind, fn);
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  };
  const keyed = () => ({ "idempotency-key": `soak-${crypto.randomUUID()}` });
  let tick = 0;
  const every = (ms, fn) => setInterval(fn, ms);
  const timers = [
    every(1_000 / CFG.opensPerSecond, () => {
      const player = pick(players);
      fire("open", () => request(base, "POST", `/api/cases/${pick(openable).id}/open`, { token: player.token, body: { count: 1 + Math.floor(Math.random() * 3) }, headers: keyed() }));
    }),
    every(1_000, () => fire("claim", () => request(base, "POST", "/api/inventory/claim", { token: pick(players).token, body: { all: true }, headers: keyed() }))),
    every(1_000, () => fire("sell", () => request(base, "POST", "/api/inventory/sell", { token: pick(players).token, body: { all: true }, headers: keyed() }))),
    every(2_000, () => fire("read", () => request(base, "GET", "/api/inventory?limit=20", { token: pick(players).token }))),
    every(5_000, () => fire("admin-credit", () => request(base, "POST", `/api/admin/users/${pick(players).id}/balance`, { token: admin.token, body: { amount: 500, reason: "soak" }, headers: keyed() }))),
    every(7_000, () => {
      tick++;
      fire("admin-edit", () => request(base, "PATCH", `/api/admin/cases/${edited.id}`, { token: admin.token, body: { active: tick % 2 === 0 } }));
    }),
    // Churn: a few SDK clients and lobby sockets leave and as many arrive, every second.
    every(1_000, () => {
      for (let i = 0; i < 3; i++) (closeSdk(), openSdk());
      for (let i = 0; i < 8; i++) (closeLobby(), openLobby());
    }),
  ];

  // ---------------------------------------------------------------- samples
  const samples = [];
  const t0 = Date.now();
  const sample = () => {
    samples.push({
      t: round((Date.now() - t0) / 1000, 1),
      rssMiB: round(rssBytes(runtime.pid) / 2 ** 20, 1),
      fds: openFiles(runtime.pid),
      cpuS: round(cpuTimeMs(runtime.pid) / 1000, 1),
      sdkClients: sdk.size,
      lobbySockets: lobby.size,
    });
  };
  // The Worker's isolate (it runs the Durable Objects too) and local D1's, after a full GC.
  const heaps = [];
  const isolates = (id) => /^(core:user|d1:db)/.test(id);
  const sampleHeap = async () => {
    const usage = await heapUsage(runtime.pid, isolates).catch(() => ({}));
    heaps.push({ t: round((Date.now() - t0) / 1000, 1), usedMiB: Object.fromEntries(Object.entries(usage).map(([id, u]) => [id, round(u.usedSize / 2 ** 20, 1)])) });
  };
  sample();
  await sampleHeap();
  const deadline = t0 + CFG.minutes * 60_000;
  while (Date.now() < deadline) {
    await sleep(Math.min(CFG.sampleEveryMs, deadline - Date.now()));
    sample();
    if (samples.length % 6 === 0) await sampleHeap();
    if (samples.length % 12 === 0) log(`t=${samples.at(-1).t}s rss ${samples.at(-1).rssMiB} MiB fds ${samples.at(-1).fds} ${JSON.stringify(http.counts)}`);
  }

  // ---------------------------------------------------------------- everyone leaves, then check
  for (const t of timers) clearInterval(t);
  await Promise.allSettled([...inflight]);
  for (const rt of sdk) rt.close();
  for (const ws of lobby) ws.close(1000);
  sdk.clear();
  log("traffic stopped, every socket closed; letting the objects notice");
  await sleep(15_000);
  sample();
  await sampleHeap();
  log("reading every object's sockets, alarm and rows");
  const report = await expectStatus(request(base, "POST", "/api/__bench/objects", { body: { users: players.map((p) => p.id) } }), 200, "object stats");
  const objects = report.body;
  const sum = (list, f) => list.reduce((a, o) => a + f(o), 0);
  const leftovers = {
    hubSockets: sum(objects.hubs, (o) => o.sockets),
    hubAlarms: objects.hubs.filter((o) => o.alarm !== null).length,
    hubBatchRowsMax: Math.max(...objects.hubs.map((o) => o.rows.batches)),
    shardSockets: sum(objects.shards, (o) => o.sockets),
    shardAlarms: objects.shards.filter((o) => o.alarm !== null).length,
    catalogLogRows: sum(objects.shards, (o) => o.rows.catalog_log),
    broadcasterPresenceRows: objects.broadcaster.rows.presence,
    broadcasterPendingDrops: objects.broadcaster.rows.pending_drops,
    broadcasterAlarm: objects.broadcaster.alarm,
  };
  const [money] = await queryLocal(
    state,
    `SELECT (SELECT COUNT(*) FROM users u WHERE u.balance != (SELECT COALESCE(SUM(l.delta), 0) FROM ledger l WHERE l.user_id = u.id)) AS mismatched,
            (SELECT COUNT(*) FROM users WHERE balance < 0) AS negative,
            (SELECT COUNT(*) FROM ledger l WHERE l.reason = 'open' AND -l.delta != (SELECT COALESCE(SUM(o.price), 0) FROM openings o WHERE o.user_id = l.user_id AND o.ledger_id = l.id)) AS unmatched_opens,
            (SELECT COUNT(*) FROM ledger l WHERE l.reason IN ('claim', 'sell') AND l.delta != (SELECT COALESCE(SUM(o.item_value), 0) FROM openings o WHERE o.user_id = l.user_id AND o.settled_ledger_id = l.id)) AS unmatched_settlements,
            (SELECT COUNT(*) FROM ledger) AS entries,
            (SELECT COUNT(*) FROM realtime_tickets) AS tickets`,
  );
  money.ok = money.mismatched === 0 && money.negative === 0 && money.unmatched_opens === 0 && money.unmatched_settlements === 0;

  const during = samples.slice(0, -1);
  const warm = during.filter((s) => s.t >= Math.min(60, (CFG.minutes * 60) / 3));
  const toPoints = (list) => list.map((s) => ({ x: s.t / 60, y: s.rssMiB }));
  const halves = [warm.slice(0, warm.length >> 1), warm.slice(warm.length >> 1)];
  const memory = {
    startMiB: during[0]?.rssMiB,
    peakMiB: Math.max(...during.map((s) => s.rssMiB)),
    endMiB: during.at(-1)?.rssMiB,
    afterEveryoneLeftMiB: samples.at(-1).rssMiB,
    slopeMiBPerMinAfterWarmup: round(slope(toPoints(warm)), 2),
    slopeFirstHalf: round(slope(toPoints(halves[0])), 2),
    slopeSecondHalf: round(slope(toPoints(halves[1])), 2),
    fdsStart: during[0]?.fds,
    fdsEnd: during.at(-1)?.fds,
    fdsAfterEveryoneLeft: samples.at(-1).fds,
  };
  const clean =
    leftovers.hubSockets === 0 &&
    leftovers.hubAlarms === 0 &&
    leftovers.shardSockets === 0 &&
    leftovers.shardAlarms === 0 &&
    leftovers.broadcasterPresenceRows === 0 &&
    leftovers.broadcasterPendingDrops === 0;
  const results = {
    startedAt: started.toISOString(),
    config: CFG,
    loadavgAtStart: loadAtStart,
    loadavgAtEnd: readFileSync("/proc/loadavg", "utf8").trim(),
    requests: http.counts,
    sockets: socketStats,
    memory,
    objects: { hubs: objects.hubs.length, shards: objects.shards.length, leftovers, clean },
    money,
    heaps,
    samples,
  };
  log(JSON.stringify({ memory, leftovers, money, sockets: socketStats, requests: http.counts }));
  log(`heaps: ${JSON.stringify(heaps)}`);
  const dir = path.join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${started.toISOString().replace(/[:.]/g, "-")}-soak.json`), JSON.stringify(results, null, 2));
  writeFileSync(path.join(dir, "latest-soak.json"), JSON.stringify(results, null, 2));
  if (!money.ok || !clean) process.exitCode = 1;
}

await run(main);
