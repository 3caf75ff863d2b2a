#!/usr/bin/env node
// What one reconnect costs the runtime: runtime CPU per private connect (ticket + upgrade +
// welcome), per private reconnect with the resume credential of the last welcome (no ticket, no
// D1), and per lobby connect, on an otherwise idle runtime, plus a V8 profile of each isolate
// while they run. The reconnect storm's capacity is this cost's inverse. Loopback only.
//   node bench/experiments/connect-cost.mjs [--n=200] [--ref=HEAD]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { seedDemo } from "../../scripts/lib/seed-demo.mjs";
import { expectStatus, makePlayers, request } from "../lib/api.mjs";
import { cpuTimeMs, profileWhile } from "../lib/cpu.mjs";
import { findRuntime, migratedProduct, startWrangler } from "../lib/dev.mjs";
import { round } from "../lib/stats.mjs";

const N = Number((process.argv.find((a) => a.startsWith("--n=")) ?? "--n=200").slice(4));
const tmp = mkdtempSync(path.join(tmpdir(), "cyberhub-connect-cost-"));
const log = (...a) => console.error(`[connect-cost ${new Date().toISOString().slice(11, 19)}]`, ...a);

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error("no welcome in 20 s")), 20_000);
    ws.on("message", (data) => {
      if (String(data).startsWith('{"type":"welcome"')) (clearTimeout(timer), (ws.welcome = JSON.parse(String(data))), resolve(ws));
    });
    ws.on("error", (err) => (clearTimeout(timer), reject(err)));
  });
}

async function main() {
  const { tree, state } = migratedProduct(tmp);
  const server = await startWrangler({ name: "product", stateDir: state, root: tree });
  try {
    const rt = await findRuntime(server);
    const ws = rt.url.replace("http", "ws");
    const { admin } = await seedDemo(server.url, state);
    const players = await makePlayers(server.url, admin.token, Math.min(N, 100), 0, "cost");
    const sockets = [];
    // The newest resume credential of each player's private socket.
    const credentials = new Map();
    const keep = (i, socket) => {
      if (socket.welcome.resume) credentials.set(i % players.length, socket.welcome.resume.credential);
      sockets.push(socket);
    };
    const privateConnect = async (i) => {
      const ticket = await expectStatus(request(rt.url, "POST", "/api/realtime/ticket", { token: players[i % players.length].token }), 201, "ticket");
      keep(i, await open(`${ws}/ws/user?ticket=${ticket.body.ticket}`));
    };
    const resumedConnect = async (i) => {
      const credential = credentials.get(i % players.length);
      if (!credential) throw new Error("no resume credential in the welcome");
      keep(i, await open(`${ws}/ws/user?resume=${credential}`));
    };
    const lobbyConnect = async () => sockets.push(await open(`${ws}/ws/lobby`));
    // Warm: every hub exists once, the isolates are compiled.
    for (let i = 0; i < players.length; i++) await privateConnect(i);
    await lobbyConnect();
    for (const s of sockets.splice(0)) s.close();
    await new Promise((r) => setTimeout(r, 2_000));

    const measure = async (label, fn) => {
      const c0 = cpuTimeMs(rt.pid);
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await fn(i);
      const ms = performance.now() - t0;
      const cpu = cpuTimeMs(rt.pid) - c0;
      log(`${label}: ${round(cpu / N, 2)} ms runtime CPU per connect, ${round(ms / N, 2)} ms wall each, ${round((1000 * N) / ms, 1)} connects/s sequential`);
      return { cpuMsPerConnect: round(cpu / N, 2), wallMsPerConnect: round(ms / N, 2) };
    };
    const results = {};
    results.private = await measure("private (ticket + upgrade + welcome)", privateConnect);
    results.resumed = await measure("private resumed (upgrade with the resume credential + welcome)", resumedConnect);
    results.lobby = await measure("lobby (upgrade + welcome)", lobbyConnect);
    for (const s of sockets.splice(0)) s.close();
    await new Promise((r) => setTimeout(r, 2_000));
    const isolates = (id) => /^(core:user|d1:db|core:entry)/.test(id);
    log("profiling resumed private + lobby connects");
    const profiled = await profileWhile(rt.pid, isolates, async () => {
      for (let i = 0; i < N; i++) (await resumedConnect(i), await lobbyConnect());
    });
    for (const s of sockets.splice(0)) s.close();
    for (const [id, p] of Object.entries(profiled.profiles)) {
      log(`${id}: ${JSON.stringify(p.buckets)}`);
      for (const t of p.top.slice(0, 15)) log(`   ${t.pct}% ${t.ms} ms ${t.fn}`);
    }
    console.log(JSON.stringify(results));
  } finally {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
