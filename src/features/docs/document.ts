/**
 * The parts of an OpenAPI 3.1 document this API writes (./openapi.ts builds it). Plain types, free
 * of Worker and zod imports, so the site's API reference page reads the document with them.
 */
export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  schema: JsonSchema;
}

export type OpenApiContent = Record<string, { schema: JsonSchema }>;
export type OpenApiResponse = { description: string; content?: OpenApiContent } | { $ref: string };

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Who may call it, from the route's policy in the router table. */
  "x-access": "public" | "player" | "admin";
  security: Record<string, string[]>[];
  parameters: OpenApiParameter[];
  requestBody?: { required: boolean; content: OpenApiContent };
  responses: Record<string, OpenApiResponse>;
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: Record<string, unknown>;
}
