// Starts and stops a real `wrangler dev` for `npm start`, the end-to-end tests, the browser
// tests and the benchmarks. Quiet and offline-safe, on 127.0.0.1, with its own state folder.
import { spawn, execFile } from "node:child_process";
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
    VSCODE_INSPECTOR_OPTIONS: process.env.VSCODE_INSPECTOR_OPTIONS ?? "{}",
    NO_COLOR: "1",
    ...extra,
  };
}

export async function freePort() {
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

/**
 * Starts `wrangler dev` and resolves once /health answers 200.
 * Returns { url, port, stop(), logs() }. `stop()` waits for the process to exit.
 */
export async function startDevServer({ stateDir, port, logLevel = "warn", vars = {}, stdio = "pipe", timeoutMs = 60_000 } = {}) {
  port ??= await freePort();
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", stateDir, "--log-level", logLevel, "--show-interactive-dev-session=false"];
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: wranglerEnv(), stdio: stdio === "inherit" ? "inherit" : ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.on("data", (d) => (output = (output + d).slice(-20_000)));
  child.stderr?.on("data", (d) => (output = (output + d).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
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

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`wrangler dev exited before it was ready:\n${output}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) return { url, port, stop, logs: () => output, pid: child.pid };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev was not ready within ${timeoutMs} ms:\n${output}`);
}
