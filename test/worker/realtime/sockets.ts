import { env, exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import type { ServerMessage } from "../../../src/realtime/protocol";
import { lobbyShard } from "../../../src/realtime/stubs";
import { ORIGIN } from "../../helpers";

/** How long any wait in the realtime tests may take before it fails with what it saw. */
const WAIT_MS = 5_000;

/** A test-side socket that records every frame, with helpers to wait for the next matching one. */
export interface TestSocket {
  ws: WebSocket;
  frames: ServerMessage[];
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first recorded frame (from `from` on) that matches, waiting if needed. */
  next<T extends ServerMessage>(match: (frame: ServerMessage) => frame is T, from?: number): Promise<T>;
  nextWhere(match: (frame: ServerMessage) => boolean, from?: number): Promise<ServerMessage>;
  /** Resolves once `found` returns a value; checked now and again on every text the socket receives. */
  until<T>(found: () => T | undefined, what: string): Promise<T>;
  close(): void;
}

const open: TestSocket[] = [];

export interface ConnectOptions {
  query?: Record<string, string | number>;
  headers?: Record<string, string>;
}

/** Performs an upgrade through the Worker; returns the response for refused upgrades. */
export async function upgrade(path: string, options: ConnectOptions = {}): Promise<Response> {
  const url = new URL(path, ORIGIN);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, String(value));
  const headers = new Headers(options.headers);
  headers.set("upgrade", "websocket");
  return exports.default.fetch(new Request(url, { headers }));
}

/** Opens a socket through the Worker, as a client does. */
export async function connect(path: string, options: ConnectOptions = {}): Promise<TestSocket> {
  return record(await upgrade(path, options));
}

/** Opens a lobby socket on one given shard, bypassing the Worker's random pick (`catalog`: the version the client holds). */
export async function connectShard(index: number, catalog?: number): Promise<TestSocket> {
  const url = new URL("https://lobby-shard/connect");
  if (catalog !== undefined) url.searchParams.set("catalog", String(catalog));
  return record(await lobbyShard(env, index).fetch(new Request(url, { headers: { upgrade: "websocket" } })));
}

function record(res: Response): TestSocket {
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  if (!ws) throw new Error("no webSocket on a 101 response");
  ws.accept();
  const frames: ServerMessage[] = [];
  const texts: string[] = [];
  const waiters = new Set<() => void>();
  ws.addEventListener("message", (event) => {
    const text = typeof event.data === "string" ? event.data : "";
    texts.push(text);
    if (text !== "pong") frames.push(JSON.parse(text) as ServerMessage);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason })),
  );
  const until = <T>(found: () => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${what}; got ${JSON.stringify(texts)}`));
      }, WAIT_MS);
      waiters.add(check);
      check();
    });
  const nextWhere = (match: (frame: ServerMessage) => boolean, from = 0) => until(() => frames.slice(from).find(match), "no matching frame");
  const socket: TestSocket = {
    ws,
    frames,
    texts,
    closed,
    next: <T extends ServerMessage>(match: (frame: ServerMessage) => frame is T, from?: number) => nextWhere(match, from) as Promise<T>,
    nextWhere,
    until,
    close: () => {
      try {
        ws.close(1000, "test done");
      } catch {
        // already closed
      }
    },
  };
  open.push(socket);
  return socket;
}

/** Call from afterEach: every socket a test opened is closed. */
export function closeAll(): void {
  for (const socket of open.splice(0)) socket.close();
}

/** Lets in-flight frames arrive: a round trip through the socket's own object (ping is auto-answered). */
export async function settle(socket: TestSocket): Promise<void> {
  const from = socket.texts.length;
  socket.ws.send("ping");
  await socket.until(() => (socket.texts.indexOf("pong", from) >= 0 ? true : undefined), "no pong");
}

/**
 * Polls `read` until `done` holds for what it returned, for state that no socket announces (counts
 * reported between objects). Fails with the last value read.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > WAIT_MS) throw new Error(`still not there after ${WAIT_MS} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const isUserWelcome = (f: ServerMessage): f is Extract<ServerMessage, { type: "welcome"; channel: "user" }> =>
  f.type === "welcome" && f.channel === "user";
export const isLobbyWelcome = (f: ServerMessage): f is Extract<ServerMessage, { type: "welcome"; channel: "lobby" }> =>
  f.type === "welcome" && f.channel === "lobby";
export const isUserEvents = (f: ServerMessage): f is Extract<ServerMessage, { type: "events"; channel: "user" }> =>
  f.type === "events" && f.channel === "user";
export const isLobbyEvents = (f: ServerMessage): f is Extract<ServerMessage, { type: "events"; channel: "lobby" }> =>
  f.type === "events" && f.channel === "lobby";
export const isResync = (f: ServerMessage): f is Extract<ServerMessage, { type: "resync" }> => f.type === "resync";
export const isError = (f: ServerMessage): f is Extract<ServerMessage, { type: "error" }> => f.type === "error";

/** Gets a fresh ticket for `token`'s session and opens the private socket with it. */
export async function connectUser(token: string, query: Record<string, string | number> = {}): Promise<TestSocket> {
  const res = await exports.default.fetch(
    new Request(`${ORIGIN}/api/realtime/ticket`, { method: "POST", headers: { authorization: `Bearer ${token}` } }),
  );
  expect(res.status).toBe(201);
  const { ticket } = (await res.json()) as { ticket: string };
  return connect("/ws/user", { query: { ticket, ...query } });
}

/**
 * Collects a room's connect log lines (`ws_connect`, `ws_connects`) whose fields match `of` until
 * `restore()`: the DOs log to this isolate's console. `counted()` adds up the `ws_connects` counts.
 */
export function connectLines(of: Record<string, unknown>) {
  const lines: Record<string, unknown>[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
    const parsed = typeof line === "string" && line.startsWith("{") ? (JSON.parse(line) as Record<string, unknown>) : null;
    if (parsed && String(parsed.event).startsWith("ws_connect") && Object.entries(of).every(([k, v]) => parsed[k] === v)) lines.push(parsed);
  });
  return {
    lines,
    counted: () => lines.filter((l) => l.event === "ws_connects").reduce((sum, l) => sum + Number(l.sockets), 0),
    restore: () => spy.mockRestore(),
  };
}
