// Starts and stops a real `wrangler dev` for `npm start`, the end-to-end tests, the browser
// tests and the benchmarks. Quiet and offline-safe, on 127.0.0.1, with its own state folder.
import { spawn, execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { promisify } from "node:util";
import path from "node:path";

const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, "..", "..");
const WRANGLER = path.join(ROOT, "node_modules", ".bin", "wrangler");

/** Environment that keeps wrangler off the network and its DevTools proxy out of the hot path. */
export function wranglerEnv(extra = {}) {
  return {
    ...process.env,
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    // wrangler 4.86 skips the inspector proxy when this is set; it halves D1-bound throughput otherwise.
    // (An empty value would turn the inspector back on, and with it a listener near port 9229.)
    VSCODE_INSPECTOR_OPTIONS: process.env.VSCODE_INSPECTOR_OPTIONS || "{}",
    NO_COLOR: "1",
    ...extra,
  };
}

/**
 * The kernel's ephemeral range: every `listen(0)` and every outgoing connection on the machine
 * takes its port from here (each wrangler dev opens about six such listeners of its own).
 */
function ephemeralRange() {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return { low, high };
  } catch {}
  return { low: 32768, high: 60999 };
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A port that is free now and that nothing on the machine is handed by chance: below the
 * ephemeral range. A port from `listen(0)` is released before wrangler binds it, and any other
 * process's `listen(0)` or outgoing connection may take it in between, or while a server is
 * down for a restart on the same port.
 */
export async function freePort() {
  const { low } = ephemeralRange();
  const floor = 10_000;
  if (low - floor >= 1_000) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = floor + Math.floor(Math.random() * (low - floor));
      if (await canListen(port)) return port;
    }
  }
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Applies every migration to the local D1 under `stateDir`. */
export async function migrateLocal(stateDir) {
  await run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir], {
    cwd: ROOT,
    env: wranglerEnv({ CI: "true" }),
  });
}

/** Runs SQL against the local D1 under `stateDir` (used to promote the demo admin). */
export async function executeLocal(stateDir, command) {
  await run(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--command", command], {
    cwd: ROOT,
    env: wranglerEnv({ CI: "true" }),
  });
}

const QUIET_LEVELS = new Set(["warn", "error", "none"]);

/**
 * Starts `wrangler dev` and resolves once it said it listens on our port and /health answers 200.
 * Returns { url, port, stop(), logs() }. `stop()` waits for the process to exit.
 *
 * A 200 from /health alone proves nothing: when the port was taken in the meantime, wrangler
 * exits with "Address already in use" while the other server answers, possibly another
 * `wrangler dev` of this very Worker. Wrangler names the port it bound in its "Ready on" line
 * (log level info), so wrangler always runs at info; lines below `logLevel` are not kept.
 * A port we chose that turned out taken is replaced by another; a port the caller gave is not.
 */
export async function startDevServer({ stateDir, port, logLevel = "warn", vars = {}, stdio = "pipe", timeoutMs = 60_000, script = undefined } = {}) {
  if (port !== undefined) return startOnce({ stateDir, port, logLevel, vars, stdio, timeoutMs, script });
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ stateDir, port: await freePort(), logLevel, vars, stdio, timeoutMs, script });
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt === 3) throw err;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce({ stateDir, port, logLevel, vars, stdio, timeoutMs, script }) {
  const level = QUIET_LEVELS.has(logLevel) ? "info" : logLevel;
  // `script`: another entry over the same wrangler.toml (a test's wrapper around the product).
  const args = ["dev", ...(script ? [script] : []), "--ip", "127.0.0.1", "--port", String(port), "--persist-to", stateDir, "--log-level", level, "--show-interactive-dev-session=false"];
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: wranglerEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  const url = `http://127.0.0.1:${port}`;
  const readyLine = `Ready on ${url}`;
  let ready = false;
  let output = "";
  const keep = (line, terminal) => {
    if (line.includes(readyLine)) ready = true;
    if (QUIET_LEVELS.has(logLevel) && line.startsWith("[wrangler:info]")) return;
    output = (output + line + "\n").slice(-20_000);
    if (stdio === "inherit") terminal.write(line + "\n");
  };
  for (const [stream, terminal] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) keep(line, terminal);
    });
    stream.on("end", () => partial && keep(partial, terminal));
  }
  let exited = false;
  const exitedPromise = new Promise((resolve) => child.on("exit", () => ((exited = true), resolve())));

  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, 5_000);
    await exitedPromise;
    clearTimeout(timer);
  };
  /** A crash, not a shutdown: SIGKILL to the whole group (wrangler and its runtime), nothing gets to finish. */
  const kill = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
    await exitedPromise;
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) {
      const Failure = /Address already in use/.test(output) ? PortTakenError : Error;
      throw new Failure(`wrangler dev exited before it was ready on ${url}:\n${output}`);
    }
    if (ready) {
      try {
        const res = await fetch(`${url}/health`);
        await res.arrayBuffer();
        if (res.status === 200) return { url, port, stop, kill, logs: () => output, pid: child.pid };
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev was not ready on ${url} within ${timeoutMs} ms:\n${output}`);
}
