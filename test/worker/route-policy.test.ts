import { describe, expect, it } from "vitest";
import type { Access } from "../../src/features/auth/policy";
import { router } from "../../src/router";

/** Every route in the table, with the policy its handler was declared with (undefined when none). */
function declaredRoutes(): { route: string; access: Access | undefined }[] {
  return router.routes.map(([method, , handlers, path]) => {
    const handler: unknown = handlers[0];
    const access = typeof handler === "function" && "access" in handler ? (handler.access as Access) : undefined;
    return { route: `${method} ${path}`, access };
  });
}

describe("route policies", () => {
  it("every route in the router table declares who may call it", () => {
    const undeclared = declaredRoutes().filter((r) => r.access === undefined);
    expect(undeclared).toEqual([]);
    expect(declaredRoutes().length).toBeGreaterThan(20);
  });

  it("every /api/admin route is admin-only, and no other route is", () => {
    for (const { route, access } of declaredRoutes()) {
      expect([route, access === "admin"]).toEqual([route, route.includes(" /api/admin/")]);
    }
  });
});
