import type { UserRow } from "../../db/schema";

/** What a user may see about an account (their own, or any, for admins). */
export interface PublicUser {
  id: string;
  email: string;
  displayName: string;
  role: "player" | "admin";
  balance: number;
  version: number;
  createdAt: number;
}

export function toPublicUser(row: Pick<UserRow, keyof PublicUser>): PublicUser {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    role: row.role,
    balance: row.balance,
    version: row.version,
    createdAt: row.createdAt,
  };
}
