import { z } from "zod";
import { RESUME_PATTERN } from "../../realtime/resume";

const counter = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * `GET /ws/user`: a ticket (non-cookie clients) or a resume credential (any client coming back: the
 * `resume` of its last welcome or version frame), and an optional resume point. The session token
 * itself is deliberately not accepted here: URLs end up in logs and histories.
 */
export const userSocketQuery = z
  .object({
    ticket: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/).optional(),
    resume: z.string().regex(RESUME_PATTERN).optional(),
    since: counter.optional(),
    epoch: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  })
  .refine((q) => (q.since === undefined) === (q.epoch === undefined), { message: "since and epoch go together." })
  .refine((q) => q.ticket === undefined || q.resume === undefined, { message: "A ticket or a resume credential, not both." });

/** `GET /ws/lobby`: the catalogue version the client holds, to catch up on missed `cases:updated`. */
export const lobbySocketQuery = z.object({ catalog: counter.optional() });

/** `GET /ws/battle/:id`: an optional resume point in the room's stream (the SDK sends it after a drop). */
export const battleSocketQuery = z
  .object({
    since: counter.optional(),
    epoch: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  })
  .refine((q) => (q.since === undefined) === (q.epoch === undefined), { message: "since and epoch go together." });

export const ticketGrant = z.strictObject({ ticket: z.string(), expiresAt: z.int() });
