import { z } from "zod";
import { publicUser } from "../users/schemas";

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email("is not an email address"));

export const registerBody = z.object({
  email,
  password: z.string().min(8, "must be at least 8 characters").max(200),
  displayName: z
    .string()
    .trim()
    .min(2, "must be at least 2 characters")
    .max(32, "must be at most 32 characters")
    .regex(/^[\p{L}\p{N} _.-]+$/u, "may use letters, digits, spaces, _ . and -"),
});

export const loginBody = z.object({
  email,
  password: z.string().min(1).max(200),
});

/** A new session: the token for API clients (the site uses the HttpOnly cookie set beside it). */
export const sessionGrant = z.strictObject({ user: publicUser, token: z.string(), expiresAt: z.int() });
export const meResponse = z.strictObject({ user: publicUser });

export type SessionGrant = z.infer<typeof sessionGrant>;
