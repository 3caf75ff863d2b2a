// Many WebSocket clients in one Node process (the `ws` package), for fan-out and memory runs.
import WebSocket from "ws";

/** Opens `count` sockets to `url` with bounded concurrency; resolves with the open sockets. */
export async function openSockets(url, count, { deflate = false, concurrency = 50, headers = {}, timeoutMs = 120_000 } = {}) {
  const sockets = [];
  let next = 0;
  const deadline = Date.now() + timeoutMs;
  async function worker() {
    while (next < count) {
      if (Date.now() > deadline) throw new Error(`opening ${count} sockets took longer than ${timeoutMs} ms`);
      next++;
      sockets.push(await openOne(url, { deflate, headers }));
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return sockets;
}

export function openOne(url, { deflate = false, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: deflate, headers, handshakeTimeout: 30_000 });
    ws.received = 0; // frames received so far (counted from the handshake on)
    ws.on("message", () => ws.received++);
    ws.on("open", () => resolve(ws));
    ws.on("error", reject);
    ws.on("unexpected-response", (_req, res) => reject(new Error(`${url}: HTTP ${res.statusCode}`)));
  });
}

export async function closeSockets(sockets) {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const t = setTimeout(() => (ws.terminate(), resolve()), 3_000);
          ws.once("close", () => (clearTimeout(t), resolve()));
          ws.close(1000);
        }),
    ),
  );
}

/**
 * Resolves when every socket has received a message accepted by `match`, with the arrival time
 * (performance.now()) of the first and the last. Rejects after `timeoutMs`.
 */
export function waitForAll(sockets, match, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    let remaining = sockets.length;
    let first = Infinity;
    let last = 0;
    const handlers = new Map();
    const cleanup = () => {
      clearTimeout(timer);
      for (const [ws, h] of handlers) ws.off("message", h);
    };
    const timer = setTimeout(() => (cleanup(), reject(new Error(`only ${sockets.length - remaining}/${sockets.length} sockets got the event`))), timeoutMs);
    for (const ws of sockets) {
      const h = (data) => {
        if (!match(data.toString())) return;
        const t = performance.now();
        first = Math.min(first, t);
        last = Math.max(last, t);
        ws.off("message", h);
        handlers.delete(ws);
        if (--remaining === 0) (cleanup(), resolve({ first, last }));
      };
      handlers.set(ws, h);
      ws.on("message", h);
    }
    if (sockets.length === 0) (cleanup(), resolve({ first: 0, last: 0 }));
  });
}
