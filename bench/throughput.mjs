// Opening throughput (autocannon: fixed duration, fixed connections) against the bare D1 ceiling.
import autocannon from "autocannon";

/** One bounded autocannon run. `next()` returns { path, headers } for each request. */
export function load({ url, method = "POST", body, next, connections, durationS }) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.hostname !== "127.0.0.1") return reject(new Error("load runs on 127.0.0.1 only"));
    const errorSamples = new Map();
    const instance = autocannon(
      {
        url,
        connections,
        duration: durationS,
        timeout: 10,
        requests: [
          {
            method,
            body,
            setupRequest: (req) => {
              const { path, headers } = next();
              return { ...req, path, headers: { ...req.headers, ...headers } };
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          rps: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          ok: result["2xx"],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          total: result.requests.total,
          errorSamples: Object.fromEntries(errorSamples),
        });
      },
    );
    instance.on("reqError", (err) => {
      const key = String(err.code ?? err.message).slice(0, 80);
      errorSamples.set(key, (errorSamples.get(key) ?? 0) + 1);
    });
  });
}

export function ceilingLoad(url, rows, connections, durationS) {
  let i = 0;
  return load({ url, next: () => ({ path: `/bump?id=${i++ % rows}`, headers: {} }), connections, durationS });
}

export function openLoad(url, players, connections, durationS, caseRef = "starter", extraHeaders = {}) {
  let i = 0;
  const body = JSON.stringify({ count: 1 });
  return load({
    url,
    body,
    next: () => ({ path: `/api/cases/${caseRef}/open`, headers: { ...extraHeaders, "content-type": "application/json", authorization: `Bearer ${players[i++ % players.length].token}` } }),
    connections,
    durationS,
  });
}
