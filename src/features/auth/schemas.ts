import { z } from "zod";
import { publicUser } from "../users/schemas";

// Issue messages complete "<Field> …" (the site prefixes the field's label): a missing or blank field
// says "is required" rather than zod's type talk, so a form can tell the user what to fill in.
const required = { error: (issue: { input: unknown }) => (issue.input === undefined || issue.input === null ? "is required" : "must be text") };

const email = z
  .string(required)
  .trim()
  .toLowerCase()
  .min(1, { error: "is required", abort: true })
  .max(254, "must be at most 254 characters")
  .pipe(z.email("is not an email address"));

export const registerBody = z.object({
  email,
  password: z.string(required).min(1, { error: "is required", abort: true }).min(8, "must be at least 8 characters").max(200, "must be at most 200 characters"),
  displayName: z
    .string(required)
    .trim()
    .min(1, { error: "is required", abort: true })
    .min(2, "must be at least 2 characters")
    .max(32, "must be at most 32 characters")
    .regex(/^[\p{L}\p{N} _.-]+$/u, "may use letters, digits, spaces, _ . and -"),
});

export const loginBody = z.object({
  email,
  password: z.string(required).min(1, { error: "is required", abort: true }).max(200, "must be at most 200 characters"),
});

/** A new session: the token for API clients (the site uses the HttpOnly cookie set beside it). */
export const sessionGrant = z.strictObject({ user: publicUser, token: z.string(), expiresAt: z.int() });
export const meResponse = z.strictObject({ user: publicUser });

export type SessionGrant = z.infer<typeof sessionGrant>;
