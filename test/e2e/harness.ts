import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer, connect as connectTcp, type Socket } from "node:net";
import { promisify } from "node:util";
import { WebSocket } from "ws";
import * as devServer from "../../scripts/lib/dev-server.mjs";
import { seedDemo } from "../../scripts/lib/seed-demo.mjs";
import { createRealtime, type Realtime, type RealtimeAuth, type RealtimeEventName, type RealtimeEvents } from "../../src/client/index";

export interface DevServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** SIGKILL: the runtime dies as in a crash, nothing in flight finishes. */
  kill(): Promise<void>;
  logs(): string;
}

/** What the harness may pass to `wrangler dev`; `vars` override wrangler.toml's [vars] (as `--var`). */
export interface DevServerOptions {
  stateDir: string;
  port?: number;
  logLevel?: string;
  vars?: Record<string, string>;
  /** Another entry module than src/index.ts (test/entries/*: the product with a planted fault). */
  script?: string;
}

// dev-server.mjs is plain JS; TypeScript infers its options from the defaults and misses stateDir/port.
export const startDevServer = devServer.startDevServer as unknown as (options: DevServerOptions) => Promise<DevServer>;
const migrateLocal = devServer.migrateLocal as (stateDir: string) => Promise<void>;

/**
 * A wrangler dev of our own: free port, fresh state folder, migrated and seeded with the demo data.
 * `vars` (e.g. a short BATTLE_ROUND_MS) apply to this server only; a restart on the same state
 * passes them again (`startDevServer({ stateDir, port, vars })`), or the runtime would come back
 * with wrangler.toml's values.
 */
export async function startServer(options: { vars?: Record<string, string>; script?: string } = {}) {
  const vars = options.vars ?? {};
  const stateDir = await mkdtemp(path.join(tmpdir(), "cyberhub-e2e-"));
  await migrateLocal(stateDir);
  const server = await startDevServer({ stateDir, vars, ...(options.script ? { script: options.script } : {}) });
  const demo = await seedDemo(server.url, stateDir);
  return { stateDir, server, demo, vars, cleanup: () => rm(stateDir, { recursive: true, force: true }) };
}

/**
 * Reads the local D1 under `stateDir` with SQL (while the server runs, as the seeding does): for
 * what no route shows a test, such as an account nobody can log in to, or every account at once.
 */
export async function queryLocal<Row>(stateDir: string, sql: string): Promise<Row[]> {
  const wrangler = path.join(devServer.ROOT, "node_modules", ".bin", "wrangler");
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout } = await promisify(execFile)(wrangler, ["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--command", sql, "--json"], {
        cwd: devServer.ROOT,
        env: devServer.wranglerEnv({ CI: "true" }),
        maxBuffer: 16 * 1024 * 1024,
      });
      const parsed = JSON.parse(stdout) as { results?: Row[] }[];
      return parsed[0]?.results ?? [];
    } catch (err) {
      // The running server holds the file's write lock while it commits; a read waits for its turn.
      if (attempt >= 5 || !String(err).includes("SQLITE_BUSY")) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

export interface ApiResult<T> {
  status: number;
  body: T;
}

/** One request per call with `connection: close`: wrangler dev drops idle keep-alive sockets after ~5 s. */
export async function api<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  route: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { connection: "close", ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${baseUrl}${route}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Fast retries so that the tests do not wait on browser-friendly backoff. */
export const TEST_TUNING = { minDelayMs: 300, maxDelayMs: 1_500, connectTimeoutMs: 10_000, heartbeatMs: 2_000, pongTimeoutMs: 3_000, offlineAfter: 3 };

/** An SDK client that records every event it emits, for assertions. */
export interface RecordingClient {
  rt: Realtime;
  seen: { [K in RealtimeEventName]: RealtimeEvents[K][] };
}

const clients: Realtime[] = [];

/** Every `ws` socket the SDK clients opened, so a test can look at what was negotiated. */
export const rawSockets: WebSocket[] = [];
class RecordedWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    rawSockets.push(this);
  }
}

export function client(baseUrl: string, auth?: RealtimeAuth): RecordingClient {
  const rt = createRealtime({ baseUrl, auth, WebSocket: RecordedWebSocket, tuning: TEST_TUNING });
  clients.push(rt);
  const seen: RecordingClient["seen"] = {
    "balance:updated": [],
    "inventory:updated": [],
    "cases:updated": [],
    "drops:new": [],
    online: [],
    "battles:updated": [],
    "battle:state": [],
    "battle:joined": [],
    "battle:started": [],
    "battle:round": [],
    "battle:finished": [],
    "battle:cancelled": [],
    resync: [],
  };
  for (const name of Object.keys(seen) as RealtimeEventName[]) {
    rt.on(name, (data) => (seen[name] as unknown[]).push(data));
  }
  return { rt, seen };
}

export function closeClients(): void {
  for (const rt of clients.splice(0)) rt.close();
}

/** Polls until `check` holds; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const allOpen = (...cs: RecordingClient[]) => () => cs.every((c) => c.rt.state === "open");

/**
 * A TCP pass-through in front of wrangler dev that can refuse connections, so a test can keep its
 * clients away while it publishes: the network outage is then certain, not a race with backoff.
 */
export async function outageProxy(targetPort: number) {
  let up = true;
  const live = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((inbound) => {
    if (!up) return void inbound.destroy();
    const outbound = connectTcp(targetPort, "127.0.0.1");
    for (const s of [inbound, outbound]) {
      live.add(s);
      s.on("close", () => live.delete(s));
      s.on("error", () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    inbound.on("close", () => pairs.delete(pair));
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    down() {
      up = false;
      for (const s of live) s.destroy();
    },
    up() {
      up = true;
    },
    /** Open connections stay open but carry nothing more, like a dead NAT mapping; new ones work. */
    blackhole() {
      for (const [inbound, outbound] of pairs) {
        inbound.unpipe(outbound);
        outbound.unpipe(inbound);
        inbound.pause();
        outbound.pause();
      }
      pairs.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        server.close(() => resolve());
      }),
  };
}
