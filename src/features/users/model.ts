import type { UserRow } from "../../db/schema";
import type { PublicUser } from "./schemas";

export type { PublicUser };

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
