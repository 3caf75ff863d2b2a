// Runtime CPU accounting and V8 CPU profiles of workerd isolates (through workerd's own inspector
// port, which wrangler dev opens even when its DevTools proxy is off).
import { readdirSync, readFileSync } from "node:fs";
import WebSocket from "ws";
import { listeningPorts } from "./dev.mjs";

const CLK_TCK = 100;

/** CPU time (user + system, all threads) a process has used so far, in ms. */
export function cpuTimeMs(pid) {
  return statCpuMs(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** utime + stime of a /proc …/stat line, in ms (the fields after the command's closing parenthesis). */
function statCpuMs(stat) {
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/** CPU time (user + system) of each thread of a process so far, in ms, by thread id ("name tid"). */
export function threadCpuMs(pid) {
  const out = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      out[`${name} ${tid}`] = statCpuMs(stat);
    } catch {}
  }
  return out;
}

/**
 * A thread's scheduler accounting so far (/proc/…/schedstat): ms on a CPU, and ms it was ready to
 * run but waited for one (the machine's other processes had the cores). Null when unreadable.
 */
export function schedMs(pid, tid = pid) {
  try {
    const [onCpu, waiting] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").trim().split(" ").map(Number);
    return { onCpuMs: onCpu / 1e6, runqueueMs: waiting / 1e6 };
  } catch {
    return null;
  }
}

/** The busiest threads between two threadCpuMs() readings: [[thread, ms], …], most CPU first. */
export function busiestThreads(before, after, top = 6) {
  return Object.entries(after)
    .map(([thread, ms]) => [thread, Math.round(ms - (before[thread] ?? 0))])
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
}

/** Runs a load and adds the runtime process's CPU per request and its utilisation. */
export async function withCpu(pid, fn) {
  const c0 = cpuTimeMs(pid);
  const t0 = performance.now();
  const r = await fn();
  const cpu = cpuTimeMs(pid) - c0;
  return { ...r, cpuMsPerReq: Math.round((100 * cpu) / Math.max(1, r.total)) / 100, cpuUtil: Math.round((100 * cpu) / (performance.now() - t0)) };
}

/** The runtime's inspector port and its isolates' ids. */
export async function findInspector(pid) {
  for (const port of listeningPorts(pid)) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(2_000) });
      const text = await res.text();
      if (!text.startsWith("[")) continue;
      return { port, targets: JSON.parse(text) };
    } catch {}
  }
  return null;
}

function cdp(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
    let id = 0;
    const pending = new Map();
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.id && pending.has(msg.id)) {
        const { resolve: ok, reject: ko } = pending.get(msg.id);
        pending.delete(msg.id);
        msg.error ? ko(new Error(JSON.stringify(msg.error))) : ok(msg.result);
      }
    });
    ws.on("open", () =>
      resolve({
        send: (method, params = {}) =>
          new Promise((ok, ko) => {
            const n = ++id;
            pending.set(n, { resolve: ok, reject: ko });
            ws.send(JSON.stringify({ id: n, method, params }));
          }),
        close: () => ws.close(),
      }),
    );
    ws.on("error", reject);
  });
}

/** Starts profiling the isolates whose id matches `match`; the returned `stop()` gives per-isolate summaries. */
export async function startProfile(pid, match, { intervalUs = 200, top = 25 } = {}) {
  const inspector = await findInspector(pid);
  if (!inspector) throw new Error("no inspector port on the runtime");
  const targets = inspector.targets.filter((t) => match(t.id));
  const sessions = [];
  for (const t of targets) {
    const s = await cdp(`ws://127.0.0.1:${inspector.port}/${t.id}`);
    await s.send("Profiler.enable");
    await s.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await s.send("Profiler.start");
    sessions.push({ id: t.id, s });
  }
  return async () => {
    const out = {};
    for (const { id, s } of sessions) {
      const { profile } = await s.send("Profiler.stop");
      s.close();
      out[id] = summarize(profile, top);
    }
    return out;
  };
}

/** Profiles the isolates whose id matches `match` while `fn()` runs; returns per-isolate summaries. */
export async function profileWhile(pid, match, fn, options = {}) {
  const stop = await startProfile(pid, match, options);
  const result = await fn();
  return { result, profiles: await stop() };
}

/** Self time per function (and per coarse bucket), and inclusive time per JS function, from a V8 CPU profile. */
export function summarize(profile, top) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const total = profile.samples.length;
  const dt = (profile.endTime - profile.startTime) / 1000 / Math.max(1, total); // ms per sample
  const self = new Map();
  const buckets = new Map();
  for (const [nodeId, c] of counts) {
    const n = byId.get(nodeId);
    const cf = n.callFrame;
    const name = `${cf.functionName || "(anonymous)"} ${cf.url ? cf.url.split("/").pop() : ""}:${cf.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + c);
    const bucket = ["(idle)", "(program)", "(garbage collector)"].includes(cf.functionName) ? cf.functionName : cf.url ? "javascript" : cf.functionName || "(native)";
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + c);
  }
  // Inclusive time: each sample counts once for every distinct function on its stack (where a
  // path of the code spends its time, callees included, e.g. a room's onConnect or a presence report).
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const label = (n) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url ? n.callFrame.url.split("/").pop() : ""}:${n.callFrame.lineNumber + 1}`;
  const inclusive = new Map();
  for (const [nodeId, c] of counts) {
    const seen = new Set();
    for (let id = nodeId; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id);
      if (!n.callFrame.url) continue;
      seen.add(label(n));
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + c);
  }
  const pct = (c) => Math.round((1000 * c) / total) / 10;
  return {
    samples: total,
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    buckets: Object.fromEntries([...buckets].sort((a, b) => b[1] - a[1]).map(([k, c]) => [k, { pct: pct(c), ms: Math.round(c * dt) }])),
    top: [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, c]) => ({ fn: k, pct: pct(c), ms: Math.round(c * dt) })),
    inclusive: [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, c]) => ({ fn: k, pct: pct(c), ms: Math.round(c * dt) })),
  };
}

/** Used and total V8 heap of the isolates whose id matches `match` (a leak grows `usedSize`), in bytes. */
export async function heapUsage(pid, match) {
  const inspector = await findInspector(pid);
  if (!inspector) return {};
  const out = {};
  // Bounded: an inspector that stops answering must not hang the caller.
  const within = (promise, ms = 5_000) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("inspector timeout")), ms))]);
  for (const t of inspector.targets.filter((t) => match(t.id))) {
    const s = await within(cdp(`ws://127.0.0.1:${inspector.port}/${t.id}`));
    try {
      await within(s.send("HeapProfiler.collectGarbage")).catch(() => {});
      out[t.id] = await within(s.send("Runtime.getHeapUsage"));
    } finally {
      s.close();
    }
  }
  return out;
}
