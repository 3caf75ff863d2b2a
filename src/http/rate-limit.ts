import { tooManyRequests } from "./errors";

/** The caller's address as Cloudflare saw it (wrangler dev sets it too). */
export function clientIp(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}

/**
 * The unit a throttle counts by: an IPv4 address, or the /64 an IPv6 address belongs to (one
 * subscriber usually holds a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function addressBucket(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!ip.includes(":")) return ip;
  const [head = "", tail] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/** What the throttles count the caller by: its address, IPv6 by /64. */
export const clientAddress = (request: Request): string => addressBucket(clientIp(request));

/**
 * Throws 429 when the Workers rate-limiting binding says the key is over its budget.
 * The budget (limit per period) is configured on the binding in wrangler.toml.
 */
export async function enforceLimit(limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) throw tooManyRequests(60);
}
