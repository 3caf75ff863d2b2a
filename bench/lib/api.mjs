// A small HTTP client for the benchmarks: node:http with keep-alive, free sockets dropped after
// 3 s idle (workerd closes idle keep-alive connections after ~5 s), 127.0.0.1 only.
import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 3_000 });

export function request(baseUrl, method, path, { token, body, headers = {} } = {}) {
  const url = new URL(path, baseUrl);
  if (url.hostname !== "127.0.0.1") throw new Error(`refusing non-local URL ${url}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const h = { ...headers };
  if (payload !== undefined) {
    h["content-type"] = "application/json";
    h["content-length"] = Buffer.byteLength(payload);
  }
  if (token) h.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: h, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed = text;
        try { parsed = text ? JSON.parse(text) : null; } catch {}
        resolve({ status: res.statusCode, body: parsed, headers: res.headers });
      });
      res.on("error", reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** Same request, retried once on a reset (a pooled socket the server closed while idle). */
export async function call(baseUrl, method, path, options) {
  try {
    return await request(baseUrl, method, path, options);
  } catch (err) {
    if (err.code !== "ECONNRESET" && err.code !== "EPIPE") throw err;
    return request(baseUrl, method, path, options);
  }
}

export async function expectStatus(promise, status, what) {
  const res = await promise;
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res;
}

let ipCounter = 1;
/** A distinct simulated client address (TEST-NET-2), so per-IP login throttles do not couple clients. */
export const nextIp = () => `198.51.${(ipCounter >> 8) & 255}.${ipCounter++ & 255}`;

/** Registers `count` players (each from its own address) and credits each with `funds` cents. */
export async function makePlayers(baseUrl, adminToken, count, funds, label = "bench", concurrency = 8) {
  const players = [];
  let next = 0;
  const run = `${Date.now().toString(36)}`;
  async function worker() {
    while (next < count) {
      const i = next++;
      const email = `${label}-${run}-${i}@bench.local`;
      const reg = await expectStatus(
        call(baseUrl, "POST", "/api/auth/register", { body: { email, password: "bench-password-123", displayName: `${label} ${i}` }, headers: { "cf-connecting-ip": nextIp() } }),
        201,
        `register ${email}`,
      );
      const user = reg.body.user;
      if (funds > 0) {
        await expectStatus(
          call(baseUrl, "POST", `/api/admin/users/${user.id}/balance`, { token: adminToken, body: { amount: funds, reason: "bench funding" }, headers: { "idempotency-key": `bench-fund-${user.id}` } }),
          201,
          `fund ${email}`,
        );
      }
      players[i] = { id: user.id, email, token: reg.body.token };
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return players;
}
