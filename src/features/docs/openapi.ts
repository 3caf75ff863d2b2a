import type { RouteEntry } from "itty-router";
import { z } from "zod";
import { errorShape } from "../../http/errors";
import type { Access } from "../auth/policy";
import { SESSION_COOKIE } from "../auth/session-token";
import type { JsonSchema, OpenApiDocument, OpenApiOperation, OpenApiParameter } from "./document";
import { OPERATION_TABLE, OPERATIONS, type Operation } from "./operations";

/** `:id` in the router is `{id}` in OpenAPI. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/** The policy a route's handler was declared with (src/router.ts), or undefined. */
export function accessOf(route: RouteEntry): Access | undefined {
  const handler: unknown = route[2][0];
  return typeof handler === "function" && "access" in handler ? (handler.access as Access) : undefined;
}

/** Request schemas describe what a client sends (before defaults), responses what the server sends. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

function parameters(where: "path" | "query", schema: z.ZodObject | undefined): OpenApiParameter[] {
  return Object.entries(schema?.shape ?? {}).map(([name, field]) => ({
    name,
    in: where,
    required: where === "path" || !field.safeParse(undefined).success,
    schema: jsonSchema(field, "input"),
  }));
}

const STATUS_TEXT: Record<number, string> = { 101: "Switching Protocols", 200: "OK", 201: "Created", 204: "No Content", 503: "Service Unavailable" };

function operation(method: string, path: string, access: Access, op: Operation): OpenApiOperation {
  const responses: OpenApiOperation["responses"] = {};
  for (const [status, schema] of Object.entries(op.responses)) {
    const description = STATUS_TEXT[Number(status)] ?? status;
    responses[status] = schema ? { description, content: { "application/json": { schema: jsonSchema(schema, "output") } } } : { description };
  }
  responses["4XX"] = { $ref: "#/components/responses/Error" };
  // Any route that touches D1 may find it unavailable; /health reports that in its own body.
  responses["503"] ??= { $ref: "#/components/responses/Unavailable" };
  const idempotencyKey: OpenApiParameter = { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", pattern: "^[A-Za-z0-9_.:-]{8,128}$" } };
  return {
    operationId: `${method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(\w)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    "x-access": access,
    security: access === "public" ? [] : [{ sessionCookie: [] }, { bearer: [] }],
    parameters: [...parameters("path", op.params), ...parameters("query", op.query), ...(op.idempotent ? [idempotencyKey] : [])],
    ...(op.body ? { requestBody: { required: false, content: { "application/json": { schema: jsonSchema(op.body, "input") } } } } : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of every route in the router table, from the same zod schemas the
 * Worker validates with. A route without an entry in OPERATIONS is an error, not a silent gap.
 */
export function buildOpenApi(routes: readonly RouteEntry[], version: string): OpenApiDocument {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  for (const route of routes) {
    const [method, , , path = ""] = route;
    const op = OPERATION_TABLE[`${method} ${path}`];
    const access = accessOf(route);
    if (!op || !access) throw new Error(`${method} ${path} is not documented in OPERATIONS or declares no access policy`);
    (paths[openApiPath(path)] ??= {})[method.toLowerCase()] = operation(method, path, access, op);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "CyberHub Edge API",
      version,
      description:
        "Case openings with provably fair rolls. Money is integer cents. Write routes accept an Idempotency-Key where noted. " +
        "Errors always have the shape { error: { code, message, issues? } }. `x-access` says who may call a route: public, player or admin.",
    },
    tags: [...new Set(Object.values(OPERATIONS).map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        sessionCookie: { type: "apiKey", in: "cookie", name: SESSION_COOKIE, description: "Same-origin browsers; writes from another origin are refused." },
        bearer: { type: "http", scheme: "bearer", description: "The token from register or login." },
      },
      responses: {
        Error: { description: "Refused: the one error shape", content: { "application/json": { schema: jsonSchema(errorShape, "output") } } },
        Unavailable: {
          description:
            "The database did not answer (code `unavailable`): retry after `Retry-After` seconds, with the same Idempotency-Key on a write, so that a write whose answer was lost is replayed, not repeated",
          headers: { "Retry-After": { schema: { type: "integer", minimum: 1 } } },
          content: { "application/json": { schema: jsonSchema(errorShape, "output") } },
        },
      },
    },
  };
}

