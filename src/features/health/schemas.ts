import { z } from "zod";

export const healthCheck = z.strictObject({
  status: z.enum(["ok", "down"]),
  /** How long the check took, in milliseconds (up to its deadline). */
  ms: z.number(),
});

/** The first version's health fields (status, websocket, clients, timestamp), plus each part's check. */
export const healthReport = z.strictObject({
  /** `down` only when D1 is (503); realtime trouble is `degraded` (200). */
  status: z.enum(["ok", "degraded", "down"]),
  checks: z.strictObject({ d1: healthCheck, broadcaster: healthCheck, hubs: healthCheck }),
  db: z.enum(["ok", "down"]),
  websocket: z.enum(["active", "idle"]),
  clients: z.int(),
  players: z.int(),
  realtime: z.literal("down").optional(),
  timestamp: z.iso.datetime(),
  version: z.string(),
});

export type HealthCheck = z.infer<typeof healthCheck>;
export type HealthReport = z.infer<typeof healthReport>;
