import { z } from "zod";

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
