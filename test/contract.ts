import { errorShape } from "../src/http/errors";
import { OPERATION_TABLE } from "../src/features/docs/operations";
import { router } from "../src/router";

/** The documented operation a request reaches, found with the router's own route patterns. */
export function operationFor(method: string, pathname: string) {
  const route = router.routes.find(([m, pattern]) => m === method && pattern.test(pathname));
  if (!route) return null;
  const key = `${route[0]} ${route[3] ?? ""}`;
  return { key, operation: OPERATION_TABLE[key] };
}

/**
 * Holds a real response to the API document: a documented success must match its schema exactly
 * (the schemas are strict), a refusal must be the one error shape, and a success the document does
 * not list is an error. Every test that calls the Worker through `call` checks the contract this way.
 */
export function assertDocumentedResponse(method: string, url: URL, status: number, body: unknown): void {
  const found = operationFor(method, url.pathname);
  if (!found || status >= 500) return;
  const where = `${found.key} answered ${status}`;
  if (!found.operation) throw new Error(`${found.key} is missing from OPERATIONS (src/features/docs/operations.ts)`);
  if (status >= 400) {
    const parsed = errorShape.safeParse(body);
    if (!parsed.success) throw new Error(`${where} without the error shape: ${parsed.error.message}`);
    return;
  }
  const responses: Record<number, unknown> = found.operation.responses;
  if (!(status in responses)) throw new Error(`${where}, a status its documentation does not list`);
  const schema = found.operation.responses[status as keyof typeof found.operation.responses];
  if (!schema) {
    if (body !== null && body !== "") throw new Error(`${where} with a body its documentation does not have`);
    return;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`${where} with a body that does not match its documented schema: ${parsed.error.message}`);
}
