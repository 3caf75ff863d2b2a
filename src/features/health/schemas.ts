import { z } from "zod";

/** The first version's health fields (status, websocket, clients, timestamp), plus D1 and realtime. */
export const healthReport = z.strictObject({
  status: z.enum(["ok", "degraded"]),
  db: z.enum(["ok", "down"]),
  websocket: z.enum(["active", "idle"]),
  clients: z.int(),
  players: z.int(),
  realtime: z.literal("down").optional(),
  timestamp: z.iso.datetime(),
  version: z.string(),
});

export type HealthReport = z.infer<typeof healthReport>;
