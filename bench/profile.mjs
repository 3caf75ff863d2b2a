#!/usr/bin/env node
// `npm run bench:profile`: where an opening's time goes, by ablation (see bench/profile/worker.ts).
// Same load as the throughput benchmark, alternating variants, against the bare D1 ceiling.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "../scripts/lib/dev-server.mjs";
import { seedDemo } from "../scripts/lib/seed-demo.mjs";
import { startWrangler, migratedProduct, findRuntime } from "./lib/dev.mjs";
import { makePlayers, request, expectStatus } from "./lib/api.mjs";
import { median, round, ratio } from "./lib/stats.mjs";
import { ceilingLoad, openLoad } from "./throughput.mjs";
import { profileWhile, withCpu } from "./lib/cpu.mjs";

const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const durationS = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const VARIANTS = (process.env.BENCH_VARIANTS ?? "full,no-log,no-lobby,no-user,no-log+no-lobby+no-user").split(",");

const tmp = mkdtempSync(path.join(tmpdir(), "cyberhub-profile-"));
const servers = [];
const log = (...a) => console.error(`[profile ${new Date().toISOString().slice(11, 19)}]`, ...a);
try {
  const { tree, state } = migratedProduct(tmp);
  const product = await startWrangler({ name: "product-profile", root: tree, stateDir: state, script: "bench/profile/worker.ts" });
  servers.push(product);
  const rt = await findRuntime(product);
  const ceiling = await startWrangler({ name: "ceiling-d1", root: tree, stateDir: path.join(tmp, "ceiling"), config: "bench/ceilings/d1/wrangler.toml" });
  servers.push(ceiling);
  const crt = await findRuntime(ceiling);
  const { admin } = await seedDemo(product.url, state);
  const players = await makePlayers(product.url, admin.token, 50, 10_000_000, "pf");
  await expectStatus(request(crt.url, "POST", "/setup?rows=50"), 200, "ceiling setup");
  const rows = {};
  for (let r = 0; r < rounds; r++) {
    await ceilingLoad(crt.url, 50, connections, 2);
    const c = await withCpu(crt.pid, () => ceilingLoad(crt.url, 50, connections, durationS));
    (rows.ceiling ??= []).push(c);
    log(`ceiling: ${round(c.rps)} req/s p50 ${c.p50} p99 ${c.p99} cpu ${c.cpuMsPerReq} ms/req ${c.cpuUtil}%`);
    for (const v of VARIANTS) {
      const headers = v === "full" ? {} : { "x-bench-ablate": v.split("+").join(",") };
      await openLoad(rt.url, players, connections, 2, "starter", headers);
      const p = await withCpu(rt.pid, () => openLoad(rt.url, players, connections, durationS, "starter", headers));
      (rows[v] ??= []).push(p);
      log(`${v}: ${round(p.rps)} req/s p50 ${p.p50} p99 ${p.p99} errors ${p.errors} non2xx ${p.non2xx} cpu ${p.cpuMsPerReq} ms/req ${p.cpuUtil}%`);
    }
  }
  const ceil = median(rows.ceiling.map((x) => x.rps));
  const table = Object.entries(rows).map(([v, xs]) => ({
    variant: v,
    rps: round(median(xs.map((x) => x.rps))),
    p50: median(xs.map((x) => x.p50)),
    p99: median(xs.map((x) => x.p99)),
    ratio: ratio(median(xs.map((x) => x.rps)), ceil),
    cpuMsPerReq: median(xs.map((x) => x.cpuMsPerReq)),
    cpuUtil: median(xs.map((x) => x.cpuUtil)),
    rounds: xs.map((x) => round(x.rps)),
  }));
  // V8 CPU profiles of every isolate in the runtime during one product run and one ceiling run.
  const isolates = (id) => /^(core:user|d1:db|assets:router|core:entry)/.test(id);
  log("cpu profile: product (full)");
  const prodProfile = await profileWhile(rt.pid, isolates, () => withCpu(rt.pid, () => openLoad(rt.url, players, connections, durationS)));
  log("cpu profile: ceiling");
  const ceilProfile = await profileWhile(crt.pid, isolates, () => withCpu(crt.pid, () => ceilingLoad(crt.url, 50, connections, durationS)));
  const out = { at: new Date().toISOString(), connections, durationS, rounds, table, cpuProfiles: { product: { run: prodProfile.result, isolates: prodProfile.profiles }, ceiling: { run: ceilProfile.result, isolates: ceilProfile.profiles } } };
  mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench", "results", "latest-profile.json"), JSON.stringify(out, null, 2));
  console.log("| variant | req/s | p50 ms | p99 ms | ratio to ceiling | runtime CPU ms/req | runtime CPU % | rounds |\n| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const t of table) console.log(`| ${t.variant} | ${t.rps} | ${t.p50} | ${t.p99} | ${t.ratio} | ${t.cpuMsPerReq} | ${t.cpuUtil} | ${t.rounds.join(", ")} |`);
  for (const [side, p] of Object.entries(out.cpuProfiles)) {
    console.log(`\n### CPU profile: ${side} (${Math.round(p.run.rps)} req/s, ${p.run.cpuMsPerReq} runtime CPU ms/req)`);
    for (const [id, prof] of Object.entries(p.isolates)) {
      console.log(`\n${id}: ${prof.samples} samples; ${Object.entries(prof.buckets).map(([k, v]) => `${k} ${v.pct}%`).join(", ")}`);
      for (const t of prof.top.slice(0, 15)) console.log(`  ${t.pct}%  ${t.ms} ms  ${t.fn}`);
    }
  }
} finally {
  for (const s of servers) await s.stop();
  rmSync(tmp, { recursive: true, force: true });
}
