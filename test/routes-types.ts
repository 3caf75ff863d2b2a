/**
 * Compile-time checks of ./routes.ts (tsc reads this file; nothing runs it): bodies are inferred
 * from the request, and a path OPERATIONS does not know stays `unknown`, never `any`.
 */
import type { BodyOf, RouteOf } from "./routes";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const holds = <T extends true>(): T => true as T;
declare const id: string;

holds<Equal<RouteOf<"GET", "/api/cases">, "GET /api/cases">>();
holds<Equal<RouteOf<"POST", `/api/cases/${typeof id}/open`>, "POST /api/cases/:id/open">>();
holds<Equal<RouteOf<"GET", `/api/cases/${typeof id}`>, "GET /api/cases/:id">>();
holds<Equal<RouteOf<"GET", "/api/upgrader/targets">, "GET /api/upgrader/targets">>();
holds<Equal<RouteOf<"GET", `/api/upgrader/${typeof id}`>, "GET /api/upgrader/:id">>();
holds<Equal<RouteOf<"GET", "/api/inventory?status=owned">, "GET /api/inventory">>();
holds<Equal<RouteOf<"POST", `/api/inventory/${"claim" | "sell"}`>, "POST /api/inventory/claim" | "POST /api/inventory/sell">>();
holds<Equal<BodyOf<"POST", "/api/auth/logout">, null>>();
holds<Equal<BodyOf<"GET", "/api/nowhere">, unknown>>();
holds<Equal<BodyOf<"DELETE", "/api/cases">, unknown>>();
holds<Equal<BodyOf<string, string>, unknown>>();

declare const cases: BodyOf<"GET", "/api/cases">;
// @ts-expect-error a field the case list does not document
void cases.nope;
void cases.cases;
