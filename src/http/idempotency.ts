import { z } from "zod";
import { sha256Hex } from "../lib/crypto";
import { badRequest, unprocessable } from "./errors";

const KEY = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/);

/**
 * The optional `Idempotency-Key` header (8–128 URL-safe characters). A retry with the
 * same key returns the first result and changes nothing; keys are scoped to the account.
 */
export function readIdempotencyKey(request: Request): string | null {
  const raw = request.headers.get("idempotency-key");
  if (raw === null) return null;
  const parsed = KEY.safeParse(raw.trim());
  if (!parsed.success) throw badRequest("Idempotency-Key must be 8–128 characters of letters, digits, _ . : or -.");
  return parsed.data;
}

/** Fingerprint of what a keyed request asked for, to refuse the same key with other parameters. */
export function requestHash(operation: string, params: Record<string, unknown>): Promise<string> {
  const canonical = Object.keys(params)
    .sort()
    .map((k) => [k, params[k] ?? null]);
  return sha256Hex(JSON.stringify([operation, canonical]));
}

export function assertSameRequest(storedHash: string | null, hash: string): void {
  if (storedHash !== hash) {
    throw unprocessable("idempotency_key_reused", "This Idempotency-Key was already used for a different request.");
  }
}

export const REPLAY_HEADER = { "idempotent-replayed": "true" } as const;
