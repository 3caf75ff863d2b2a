const ALLOWED_HEADERS = "Content-Type, Authorization, Idempotency-Key";
const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

// Parsed once per distinct ALLOWED_ORIGINS value rather than on every request.
let cachedSource: string | undefined;
let cachedOrigins = new Set<string>();

function allowedOrigins(env: Env): Set<string> {
  if (env.ALLOWED_ORIGINS !== cachedSource) {
    cachedSource = env.ALLOWED_ORIGINS;
    cachedOrigins = new Set(
      env.ALLOWED_ORIGINS.split(",")
        .map((o) => o.trim().replace(/\/$/, ""))
        .filter(Boolean),
    );
  }
  return cachedOrigins;
}

/** Only configured origins get CORS headers; `*` is never sent, because we allow credentials. */
export function isAllowedOrigin(env: Env, origin: string): boolean {
  return allowedOrigins(env).has(origin);
}

/** Answers a CORS preflight; returns undefined for any other request so routing continues. */
export function preflight(request: Request, env: Env): Response | undefined {
  if (request.method !== "OPTIONS") return undefined;
  const origin = request.headers.get("origin");
  if (!origin || !isAllowedOrigin(env, origin)) return new Response(null, { status: 204, headers: { vary: "Origin" } });
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": "600",
      vary: "Origin",
    },
  });
}

/** Adds CORS headers to a finished response for an allowed origin. */
export function corsify(response: Response, request: Request, env: Env): Response {
  // A 101 carries a live socket and cannot be rebuilt; browsers do not apply CORS to WebSockets.
  if (response.status === 101) return response;
  const origin = request.headers.get("origin");
  if (!origin || !isAllowedOrigin(env, origin)) return response;
  const headers = new Headers(response.headers);
  headers.set("access-control-allow-origin", origin);
  headers.set("access-control-allow-credentials", "true");
  headers.append("vary", "Origin");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
