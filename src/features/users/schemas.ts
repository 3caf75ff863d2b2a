import { z } from "zod";
import { pageQuery } from "../../lib/pagination";

export const usersQuery = z.object({ ...pageQuery, query: z.string().trim().max(100).optional() });
export const userRef = z.object({ id: z.uuid("is not a user id") });

/** What a user may see about an account (their own, or any, for admins). */
export const publicUser = z.strictObject({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(["player", "admin"]),
  balance: z.int(),
  version: z.int(),
  createdAt: z.int(),
});

export const userPage = z.strictObject({ users: z.array(publicUser), nextCursor: z.string().nullable() });

export type PublicUser = z.infer<typeof publicUser>;
export type UserPage = z.infer<typeof userPage>;
