import { z } from "zod";
import { driverMessage, isStorageUnavailable } from "../db/failures";
import { log } from "../lib/log";

const errorIssue = z.strictObject({ path: z.string(), message: z.string() });

/** The one error shape every client sees. `code` is stable and machine-readable. */
export const errorShape = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    issues: z.array(errorIssue).optional(),
    /** On a 429: seconds until the request may succeed (the `Retry-After` header says the same). */
    retryAfter: z.int().optional(),
  }),
});

export type ErrorIssue = z.infer<typeof errorIssue>;
export type ErrorBody = z.infer<typeof errorShape>;

/** Thrown anywhere; only {@link errorResponse} turns it into JSON. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly headers?: Record<string, string>,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (message: string, issues?: ErrorIssue[]) => new ApiError(400, "bad_request", message, issues);
export const unauthorized = (message = "Log in first.") => new ApiError(401, "unauthorized", message);
export const forbidden = (message = "You are not allowed to do that.") => new ApiError(403, "forbidden", message);
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found.`);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);
export const unprocessable = (code: string, message: string) => new ApiError(422, code, message);
/** The thing asked for existed but is no longer available (an expired or used-up promo code). */
export const gone = (code: string, message: string) => new ApiError(410, code, message);
export const tooLarge = (message: string) => new ApiError(413, "payload_too_large", message);

/** A 429: `Retry-After` header and `retryAfter` in the body, in whole seconds (at least 1). */
const retryLater = (code: string, message: string, seconds: number) => {
  const wait = Math.max(1, Math.ceil(seconds));
  return new ApiError(429, code, message, undefined, { "retry-after": String(wait) }, wait);
};

export const tooManyRequests = (retryAfterSeconds: number) =>
  retryLater("rate_limited", `Too many attempts. Try again in ${retryAfterSeconds <= 60 ? "a minute" : `${Math.ceil(retryAfterSeconds / 60)} minutes`}.`, retryAfterSeconds);

export const freeCaseCooldown = (retryAfterSeconds: number) =>
  retryLater("free_case_cooldown", `You opened this free case already. The next free open is in ${waitWords(retryAfterSeconds)}.`, retryAfterSeconds);

function waitWords(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.ceil(seconds))} s`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
/**
 * The database could not answer: nothing was changed by this request unless it says otherwise, and
 * the same request may be sent again after `Retry-After` seconds (money routes with the same
 * Idempotency-Key, so that a write whose answer was lost is replayed, not repeated).
 */
export const unavailable = (retryAfterSeconds: number) =>
  new ApiError(503, "unavailable", "The service is briefly unavailable. Try again in a moment.", undefined, { "retry-after": String(retryAfterSeconds) });

/** How long a client should wait before retrying a request D1 could not serve. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

export function issuesFromZod(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}

export function errorBody(code: string, message: string, issues?: ErrorIssue[], retryAfter?: number): ErrorBody {
  return { error: { code, message, ...(issues?.length ? { issues } : {}), ...(retryAfter === undefined ? {} : { retryAfter }) } };
}

/**
 * The one place an error becomes a response. D1 being unavailable (down, reset, overloaded, or
 * past the Worker's deadline: see ../db/failures.ts) is a 503 with Retry-After; a constraint
 * failure that reaches here unmapped is a bug, like every other unknown error, logged with its
 * stack and answered with a bare 500: no internals leak.
 */
export function errorResponse(err: unknown, request?: Request): Response {
  if (err instanceof ApiError) {
    return Response.json(errorBody(err.code, err.message, err.issues, err.retryAfter), { status: err.status, headers: err.headers });
  }
  if (isStorageUnavailable(err)) {
    log("warn", "storage_unavailable", { method: request?.method, path: request ? new URL(request.url).pathname : undefined, error: driverMessage(err).slice(0, 300) });
    return errorResponse(unavailable(UNAVAILABLE_RETRY_AFTER_SECONDS));
  }
  log("error", "unhandled", {
    method: request?.method,
    path: request ? new URL(request.url).pathname : undefined,
    error: err instanceof Error ? err.message : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  return Response.json(errorBody("internal", "Something went wrong on our side."), { status: 500 });
}
