import { describe, expect, it } from "vitest";
import { OPERATIONS } from "../../src/features/docs/operations";
import type { OpenApiDocument } from "../../src/features/docs/document";
import { accessOf, openApiPath } from "../../src/features/docs/openapi";
import { router } from "../../src/router";
import { assertDocumentedResponse } from "../contract";
import { call, ORIGIN } from "../helpers";

async function fetchDocument() {
  const res = await call("GET", "/api/openapi.json");
  expect(res.status).toBe(200);
  // The response schema checks the document's top level only; the tests below read the rest.
  return res.body as unknown as OpenApiDocument;
}

describe("GET /api/openapi.json", () => {
  it("is an OpenAPI 3.1 document with every route of the router table, under its policy", async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe("3.1.0");
    for (const route of router.routes) {
      const [method, , , path = ""] = route;
      const op = doc.paths[openApiPath(path)]?.[method.toLowerCase()];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op?.["x-access"]).toBe(accessOf(route));
      expect(op?.security.length === 0).toBe(accessOf(route) === "public");
      expect(op?.responses["4XX"]).toEqual({ $ref: "#/components/responses/Error" });
      // D1 unavailable: the error shape with Retry-After (src/http/errors.ts); /health has its own 503 body.
      expect(op?.responses["503"], `${method} ${path}`).toEqual(path === "/health" ? expect.objectContaining({ description: "Service Unavailable" }) : { $ref: "#/components/responses/Unavailable" });
    }
  });

  it("documents no route the router does not have", async () => {
    const routed = new Set(router.routes.map(([method, , , path]) => `${method} ${path}`));
    expect(Object.keys(OPERATIONS).filter((key) => !routed.has(key))).toEqual([]);
    const doc = await fetchDocument();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented).toHaveLength(router.routes.length);
  });

  it("describes path parameters, query parameters, bodies and the Idempotency-Key", async () => {
    const doc = await fetchDocument();
    const open = doc.paths["/api/cases/{id}/open"]?.post;
    expect(open?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "id", in: "path", required: true }),
        expect.objectContaining({ name: "Idempotency-Key", in: "header", required: false }),
      ]),
    );
    expect(open?.requestBody).toBeDefined();
    const inventory = doc.paths["/api/inventory"]?.get;
    expect(inventory?.parameters.map((p) => [p.name, p.in, p.required])).toEqual([
      ["limit", "query", false],
      ["cursor", "query", false],
      ["status", "query", false],
    ]);
  });
});

describe("the contract check every call() makes", () => {
  const url = (path: string) => new URL(path, ORIGIN);

  it("refuses a success body with a field the schema does not have, or without one it has", () => {
    const summary = { id: "c", slug: "s", name: "n", imageUrl: null, price: 1, free: false, freeCooldownSeconds: null, version: 1 };
    expect(() => assertDocumentedResponse("GET", url("/api/cases"), 200, { version: 1, currency: "EUR", cases: [summary] })).not.toThrow();
    expect(() => assertDocumentedResponse("GET", url("/api/cases"), 200, { version: 1, currency: "EUR", cases: [{ ...summary, extra: 1 }] })).toThrow(/documented schema/);
    expect(() => assertDocumentedResponse("GET", url("/api/cases"), 200, { version: 1, cases: [] })).toThrow(/documented schema/);
  });

  it("refuses a status the documentation does not list and an error without the error shape", () => {
    expect(() => assertDocumentedResponse("GET", url("/api/cases"), 201, {})).toThrow(/does not list/);
    expect(() => assertDocumentedResponse("GET", url("/api/cases/x"), 404, { message: "nope" })).toThrow(/error shape/);
    expect(() => assertDocumentedResponse("DELETE", url("/api/admin/cases/x"), 204, { deleted: true })).toThrow(/body/);
  });
});
