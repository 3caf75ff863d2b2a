import type { z } from "zod";
import { badRequest, issuesFromZod, tooLarge } from "./errors";

/** Request bodies above this are refused before parsing. Case edits are the largest at a few KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

async function readBody(request: Request): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge(`Request body exceeds ${MAX_BODY_BYTES} bytes.`);
  const text = await request.text();
  // Content-Length can be absent (chunked) or lie; measure what actually arrived.
  if (new TextEncoder().encode(text).byteLength > MAX_BODY_BYTES) {
    throw tooLarge(`Request body exceeds ${MAX_BODY_BYTES} bytes.`);
  }
  return text;
}

/** Parses and validates a JSON body once; handlers receive typed data or the client a 400. */
export async function parseJson<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const text = await readBody(request);
  // An empty body means "no fields" (so `POST …/open` alone opens one); anything else must parse.
  if (text.trim() === "") return check(schema, {}, "Request body is invalid.");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badRequest("Request body is not valid JSON.");
  }
  return check(schema, raw, "Request body is invalid.");
}

/** Validates the query string (all values are strings; schemas coerce). */
export function parseQuery<S extends z.ZodType>(request: Request, schema: S): z.output<S> {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  return check(schema, params, "Query parameters are invalid.");
}

/** Validates a route parameter set (e.g. `{ id }`). */
export function parseParams<S extends z.ZodType>(params: Record<string, string | undefined>, schema: S): z.output<S> {
  return check(schema, params, "Path parameters are invalid.");
}

function check<S extends z.ZodType>(schema: S, value: unknown, message: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(message, issuesFromZod(result.error));
  return result.data;
}
