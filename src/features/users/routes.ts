import type { IRequest } from "itty-router";
import { directoryDb } from "../../db/databases";
import { parseQuery } from "../../http/validate";
import { listUsers } from "./queries";
import { usersQuery } from "./schemas";

/** Admins: accounts, newest first, filtered by email or display name. */
export async function handleAdminListUsers(request: IRequest, env: Env): Promise<Response> {
  const { query, limit, cursor } = parseQuery(request, usersQuery);
  return Response.json(await listUsers(directoryDb(env), { query, limit, before: cursor }));
}
