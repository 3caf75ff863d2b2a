import type { IRequest } from "itty-router";
import { router } from "../../router";
import type { OpenApiDocument } from "./document";
import { buildOpenApi } from "./openapi";

// Built once per isolate: the router table and the schemas cannot change while it lives.
let document: OpenApiDocument | undefined;

/** `GET /api/openapi.json`: the OpenAPI 3.1 description of every route. */
export function handleOpenApi(_request: IRequest, env: Env): Response {
  document ??= buildOpenApi(router.routes, env.APP_VERSION);
  return Response.json(document, { headers: { "cache-control": "public, max-age=300" } });
}
