import { z } from "zod";

/** An empty body opens one copy. Unknown fields are refused: they usually mean a client bug. */
export const openBody = z
  .object({
    count: z.number().int("must be a whole number").min(1, "must be at least 1").max(5, "must be at most 5").default(1),
  })
  .strict();

export const openingRef = z.object({ id: z.uuid("is not an opening id") });
