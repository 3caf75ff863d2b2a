import type { z } from "zod";
import type { OPERATIONS, OperationKey } from "../src/features/docs/operations";

/**
 * Response body types by request, read from the OPERATIONS table at compile time: a test's
 * `call("GET", `/api/cases/${id}`)` gets the documented body type of "GET /api/cases/:id" without
 * a type argument, and a route added to OPERATIONS types its tests the moment it is documented.
 * A path the table does not know (or a `string` built at run time) gives `unknown`.
 */

type MethodOf<K> = K extends `${infer M} ${string}` ? M : never;
type PathOf<K> = K extends `${string} ${infer P}` ? P : never;

/** "/api/cases/:id/open" → `/api/cases/${string}/open`: what a request path to it looks like. */
type Pattern<P extends string> = P extends `${infer Head}:${string}/${infer Rest}`
  ? `${Head}${string}/${Pattern<Rest>}`
  : P extends `${infer Head}:${string}`
    ? `${Head}${string}`
    : P;

type PathPattern<K> = Pattern<PathOf<K>>;
type WithoutQuery<P extends string> = P extends `${infer Path}?${string}` ? Path : P;

/** Distributes over a union of paths (`/api/inventory/${"claim" | "sell"}` reaches two routes). */
type Matching<M extends string, P extends string> = P extends string
  ? { [K in OperationKey]: M extends MethodOf<K> ? (WithoutQuery<P> extends PathPattern<K> ? K : never) : never }[OperationKey]
  : never;

/**
 * Of the routes a path matches, the ones no other match is more specific than: "/api/upgrader/targets"
 * matches `/api/upgrader/${string}` too, and "/api/cases/x/open" matches `/api/cases/${string}`.
 */
type MostSpecific<C extends OperationKey, All extends OperationKey = C> = C extends OperationKey
  ? true extends (Exclude<All, C> extends infer O ? (O extends OperationKey ? (PathPattern<O> extends PathPattern<C> ? true : false) : false) : false)
    ? never
    : C
  : never;

type SuccessStatus = 200 | 201 | 204 | 101;
type Responses<K extends OperationKey> = (typeof OPERATIONS)[K]["responses"];
type SuccessBody<K extends OperationKey> = K extends OperationKey
  ? { [S in keyof Responses<K>]: S extends SuccessStatus ? (Responses<K>[S] extends z.ZodType ? z.output<Responses<K>[S]> : null) : never }[keyof Responses<K>]
  : never;

/** The documented operation a request reaches (never when the table does not know it). */
export type RouteOf<M extends string, P extends string> = MostSpecific<Matching<M, P>>;

/** The documented success body of a request, `unknown` when no documented route matches. */
export type BodyOf<M extends string, P extends string> = [RouteOf<M, P>] extends [never] ? unknown : SuccessBody<RouteOf<M, P>>;
