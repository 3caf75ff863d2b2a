#!/usr/bin/env node
// What one reconnect costs the runtime: runtime CPU per private connect (ticket + upgrade +
// welcome), per private reconnect with the resume credential of the last welcome (no ticket, no
// D1), and per lobby connect, on an otherwise idle runtime, plus a V8 profile of each isolate
// while they run (--no-profile skips it). Then the same resumed and lobby connects against the
// restart storm's ceiling (bench/ceilings/storm: a bare Durable Object per player and one for the
// lobby), in the same run, and the product's cost as a multiple of the bare object's. The
// reconnect storm's capacity is this cost's inverse. Loopback only.
//   node bench/experiments/connect-cost.mjs [--n=200] [--ref=HEAD] [--no-profile | --profile=resumed|lobby|both] [--rounds=1]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { seedDemo } from "../../scripts/lib/seed-demo.mjs";
import { expectStatus, makePlayers, request } from "../lib/api.mjs";
import { cpuTimeMs, profileWhile } from "../lib/cpu.mjs";
import { findRuntime, migratedProduct, startWrangler } from "../lib/dev.mjs";
import { median, round } from "../lib/stats.mjs";

const N = Number((process.argv.find((a) => a.startsWith("--n=")) ?? "--n=200").slice(4));
// Each measurement repeated this many times, alternating product and ceiling; medians quoted.
const ROUNDS = Number((process.argv.find((a) => a.startsWith("--rounds=")) ?? "--rounds=1").slice(9));
const PROFILE = !process.argv.includes("--no-profile");
// Which connects the profile covers: resumed, lobby, or both (alternating).
const PROFILED = (process.argv.find((a) => a.startsWith("--profile=")) ?? "--profile=both").slice(10);
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

/**
 * The three kinds of connect against one runtime. `ticket(i)` gets a ticket for player i; the
 * newest resume credential of each player's private socket is kept for the resumed connects.
 */
function connector(rt, players, ticket) {
  const ws = rt.url.replace("http", "ws");
  const sockets = [];
  const credentials = new Map();
  const keep = (i, socket) => {
    if (socket.welcome.resume) credentials.set(i % players, socket.welcome.resume.credential);
    sockets.push(socket);
  };
  return {
    private: async (i) => keep(i, await open(`${ws}/ws/user?ticket=${await ticket(i % players)}`)),
    resumed: async (i) => {
      const credential = credentials.get(i % players);
      if (!credential) throw new Error("no resume credential in the welcome");
      keep(i, await open(`${ws}/ws/user?resume=${credential}`));
    },
    lobby: async () => sockets.push(await open(`${ws}/ws/lobby`)),
    closeAll: async () => {
      for (const s of sockets.splice(0)) s.close();
      await new Promise((r) => setTimeout(r, 2_000));
    },
  };
}

/** Runtime CPU and wall time per connect of `n` sequential connects. */
async function measure(pid, n, fn) {
  const c0 = cpuTimeMs(pid);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const ms = performance.now() - t0;
  return { cpuMsPerConnect: (cpuTimeMs(pid) - c0) / n, wallMsPerConnect: ms / n };
}

async function main() {
  const { tree, state } = migratedProduct(tmp);
  const stops = [];
  try {
    const server = await startWrangler({ name: "product", stateDir: state, root: tree });
    stops.push(() => server.stop());
    const ceilingState = path.join(tmp, "ceiling");
    const ceilingServer = await startWrangler({ name: "ceiling-storm", stateDir: ceilingState, root: tree, config: "bench/ceilings/storm/wrangler.toml" });
    stops.push(() => ceilingServer.stop());
    const [rt, ceilingRt] = [await findRuntime(server), await findRuntime(ceilingServer)];
    const { admin } = await seedDemo(server.url, state);
    const players = await makePlayers(server.url, admin.token, Math.min(N, 100), 0, "cost");
    const ticketFrom = (url) => async (i) =>
      (await expectStatus(request(url, "POST", "/api/realtime/ticket", { token: players[i].token }), 201, "ticket")).body.ticket;
    const product = connector(rt, players.length, ticketFrom(rt.url));
    const ceiling = connector(ceilingRt, players.length, ticketFrom(ceilingRt.url));
    // Warm: every player's object exists once on both runtimes, the isolates are compiled.
    for (const side of [product, ceiling]) {
      for (let i = 0; i < players.length; i++) await side.private(i);
      await side.lobby();
      await side.closeAll();
    }
    const runs = { private: [], resumed: [], lobby: [], ceilingResumed: [], ceilingLobby: [] };
    for (let r = 1; r <= ROUNDS; r++) {
      runs.private.push(await measure(rt.pid, N, product.private));
      runs.resumed.push(await measure(rt.pid, N, product.resumed));
      runs.lobby.push(await measure(rt.pid, N, product.lobby));
      await product.closeAll();
      // The ceiling's resumed connects need a credential each: one ticket connect per player first.
      for (let i = 0; i < players.length; i++) await ceiling.private(i);
      runs.ceilingResumed.push(await measure(ceilingRt.pid, N, ceiling.resumed));
      runs.ceilingLobby.push(await measure(ceilingRt.pid, N, ceiling.lobby));
      await ceiling.closeAll();
      log(`round ${r}/${ROUNDS} done`);
    }
    const results = Object.fromEntries(
      Object.entries(runs).map(([kind, list]) => [
        kind,
        { cpuMsPerConnect: round(median(list.map((m) => m.cpuMsPerConnect)), 2), wallMsPerConnect: round(median(list.map((m) => m.wallMsPerConnect)), 2) },
      ]),
    );
    results.vsCeiling = {
      resumed: round(results.resumed.cpuMsPerConnect / results.ceilingResumed.cpuMsPerConnect, 2),
      lobby: round(results.lobby.cpuMsPerConnect / results.ceilingLobby.cpuMsPerConnect, 2),
    };
    const labels = {
      private: "private (ticket + upgrade + welcome)",
      resumed: "private resumed (the resume credential of the last welcome)",
      lobby: "lobby (upgrade + welcome)",
      ceilingResumed: "ceiling: private resumed (bare object)",
      ceilingLobby: "ceiling: lobby (bare object)",
    };
    for (const [kind, label] of Object.entries(labels)) {
      log(`${label}: ${results[kind].cpuMsPerConnect} ms runtime CPU per connect, ${results[kind].wallMsPerConnect} ms wall (median of ${ROUNDS})`);
    }
    log(`product / ceiling, CPU per connect: resumed ${results.vsCeiling.resumed}×, lobby ${results.vsCeiling.lobby}×`);
    if (PROFILE) {
      const isolates = (id) => /^(core:user|d1:db|core:entry)/.test(id);
      log(`profiling ${PROFILED === "both" ? "resumed private + lobby" : PROFILED} connects`);
      const profiled = await profileWhile(rt.pid, isolates, async () => {
        for (let i = 0; i < N; i++) {
          if (PROFILED !== "lobby") await product.resumed(i);
          if (PROFILED !== "resumed") await product.lobby();
        }
      });
      await product.closeAll();
      for (const [id, p] of Object.entries(profiled.profiles)) {
        log(`${id}: ${JSON.stringify(p.buckets)}`);
        for (const t of p.top.slice(0, 15)) log(`   ${t.pct}% ${t.ms} ms ${t.fn}`);
      }
    }
    console.log(JSON.stringify(results));
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
