import { tooManyRequests } from "./errors";

/** The caller's address as Cloudflare saw it (wrangler dev sets it too). */
export function clientIp(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}

/**
 * Throws 429 when the Workers rate-limiting binding says the key is over its budget.
 * The budget (limit per period) is configured on the binding in wrangler.toml.
 */
export async function enforceLimit(limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) throw tooManyRequests(60);
}
