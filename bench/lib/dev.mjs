// Starts a `wrangler dev` for the benchmarks: the product (repo wrangler.toml), a ceiling worker
// (its own wrangler.toml under bench/ceilings/) or the cost-counting entry (bench/cost/worker.ts
// over the product's wrangler.toml). Always the same mode: quiet, offline, on 127.0.0.1, the
// DevTools inspector proxy off (VSCODE_INSPECTOR_OPTIONS, see ARCHITECTURE.md), local state in a
// fresh folder. Only the process group started here is ever signalled.
import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { ROOT, freePort, wranglerEnv } from "../../scripts/lib/dev-server.mjs";

const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");

/**
 * A private copy of the project for the servers to run from. wrangler dev watches its sources and
 * restarts the runtime (new process, new port) whenever a file changes; in a tree other people are
 * editing that would happen mid-run. `ref` = a git ref (committed code only), else the working tree.
 * node_modules is linked, not copied.
 */
export function snapshot(ref, into) {
  const dir = path.join(into, "tree");
  mkdirSync(dir, { recursive: true });
  if (ref) {
    execFileSync("sh", ["-c", `git archive --format=tar ${JSON.stringify(ref)} | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT });
    // the bench itself always comes from the working tree, so an older ref can be measured too
    rmSync(path.join(dir, "bench"), { recursive: true, force: true });
    cpSync(path.join(ROOT, "bench"), path.join(dir, "bench"), { recursive: true, filter: (p) => !p.includes(`${path.sep}results`) });
  } else {
    for (const entry of ["src", "public", "migrations", "bench", "scripts", "wrangler.toml", "package.json", "tsconfig.json", "worker-configuration.d.ts"]) {
      if (existsSync(path.join(ROOT, entry))) cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true, filter: (p) => !p.includes(`${path.sep}results`) });
    }
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/** The git ref given as `--ref=<ref>` on the command line; null measures the working tree. */
export const refArg = () => (process.argv.find((a) => a.startsWith("--ref=")) ?? "").slice(6) || null;

/** A snapshot of the product (see `snapshot`) and a freshly migrated local D1 for it, both under `tmp`. */
export function migratedProduct(tmp, ref = refArg()) {
  const tree = snapshot(ref, tmp);
  const state = path.join(tmp, "product");
  mkdirSync(state);
  migrate(tree, state);
  return { tree, state };
}

/** `wrangler d1 migrations apply` for the tree at `root` into `stateDir`. */
export function migrate(root, stateDir) {
  execFileSync(path.join(ROOT, "node_modules", ".bin", "wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir], {
    cwd: root,
    env: wranglerEnv({ CI: "true" }),
    stdio: "ignore",
  });
}

export async function startWrangler({ name, stateDir, config, script, root = ROOT, vars = {}, healthPath = "/health", timeoutMs = 90_000 }) {
  const port = await freePort();
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", stateDir, "--log-level", "warn", "--show-interactive-dev-session=false"];
  if (config) args.push("--config", config);
  if (script) args.push(script);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(WRANGLER, args, { cwd: root, env: wranglerEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  // BENCH_LOG_DIR=<dir>: every line the server prints (warnings and errors at this log level) also goes to <dir>/<name>.log.
  const logFile = process.env.BENCH_LOG_DIR ? path.join(process.env.BENCH_LOG_DIR, `${name}.log`) : null;
  const keep = (d) => {
    output = (output + d).slice(-20_000);
    if (logFile) appendFileSync(logFile, d);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = false;
  const exitedPromise = new Promise((resolve) => child.on("exit", () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) return;
    try { process.kill(-child.pid, "SIGTERM"); } catch {}
    const t = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch {} }, 5_000);
    await exitedPromise;
    clearTimeout(t);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name}: wrangler dev exited early:\n${output}`);
    try {
      const res = await fetch(`${url}${healthPath}`);
      await res.arrayBuffer();
      if (res.status === 200) return { name, url, port, pid: child.pid, stop, logs: () => output, workerd: () => findWorkerd(child.pid) };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`${name}: not ready in ${timeoutMs} ms:\n${output}`);
}

/** Every descendant of `rootPid` (from /proc), then the one whose executable is workerd. */
export function findWorkerd(rootPid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {}
  }
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift();
    for (const c of children.get(pid) ?? []) {
      try {
        if (path.basename(readlinkSync(`/proc/${c}/exe`)) === "workerd") return c;
      } catch {}
      queue.push(c);
    }
  }
  return null;
}

/** Resident set size of a process in bytes (VmRSS). */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Open file descriptors of a process. */
export function openFiles(pid) {
  try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return NaN; }
}


/** Listening TCP ports of a process (from `ss`). */
export function listeningPorts(pid) {
  const out = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => Number(/127\.0\.0\.1:(\d+)/.exec(l)?.[1]))
    .filter(Boolean);
}

/** Every workerd in the server's process group. */
export function workerdPids(rootPid) {
  const out = execFileSync("ps", ["-o", "pid=,comm=", "-g", String(rootPid)], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === "workerd")
    .map(([pid]) => Number(pid));
}

/**
 * The workerd that runs the Worker and its Durable Objects (not wrangler's dev proxy, which owns
 * the dev port) and a URL that reaches it directly, found by probing its ports for `healthPath`.
 */
export async function findRuntime(server, healthPath = "/health") {
  for (const pid of workerdPids(server.pid)) {
    const ports = listeningPorts(pid);
    if (ports.includes(server.port)) continue;
    for (const port of ports) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}${healthPath}`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === 200) return { pid, url: `http://127.0.0.1:${port}` };
      } catch {}
    }
  }
  throw new Error(`${server.name}: could not find the runtime's own port`);
}
