import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { ServerMessage } from "../../../src/realtime/protocol";
import { ORIGIN } from "../../helpers";

/** A test-side socket that records every frame, with helpers to wait for the next matching one. */
export interface TestSocket {
  ws: WebSocket;
  frames: ServerMessage[];
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first recorded frame (from `from` on) that matches, waiting if needed. */
  next<T extends ServerMessage>(match: (frame: ServerMessage) => frame is T, from?: number): Promise<T>;
  nextWhere(match: (frame: ServerMessage) => boolean, from?: number): Promise<ServerMessage>;
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

export async function connect(path: string, options: ConnectOptions = {}): Promise<TestSocket> {
  const res = await upgrade(path, options);
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
  const nextWhere = (match: (frame: ServerMessage) => boolean, from = 0) =>
    new Promise<ServerMessage>((resolve, reject) => {
      const check = () => {
        const found = frames.slice(from).find(match);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching frame; got ${JSON.stringify(frames)}`));
      }, 5_000);
      waiters.add(check);
      check();
    });
  const socket: TestSocket = {
    ws,
    frames,
    texts,
    closed,
    next: <T extends ServerMessage>(match: (frame: ServerMessage) => frame is T, from?: number) => nextWhere(match, from) as Promise<T>,
    nextWhere,
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

export const isWelcome = (f: ServerMessage): f is Extract<ServerMessage, { type: "welcome" }> => f.type === "welcome";
export const isUserWelcome = (f: ServerMessage): f is Extract<ServerMessage, { type: "welcome"; channel: "user" }> =>
  f.type === "welcome" && f.channel === "user";
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

/** Lets in-flight frames arrive: a round trip through the socket's own object (ping is auto-answered). */
export async function settle(socket: TestSocket): Promise<void> {
  const before = socket.texts.filter((t) => t === "pong").length;
  socket.ws.send("ping");
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no pong")), 5_000);
    const poll = () => {
      if (socket.texts.filter((t) => t === "pong").length > before) {
        clearTimeout(timer);
        resolve();
      } else setTimeout(poll, 5);
    };
    poll();
  });
}
