import { z } from "zod";

export const clientSeedBody = z.object({
  clientSeed: z
    .string()
    .trim()
    .min(1, "is required")
    .max(64, "must be at most 64 characters")
    .regex(/^[\x21-\x7e]+$/, "may use printable ASCII without spaces"),
});

/** The seed pair in use: never the active server seed itself, only its hash. */
export const activeSeed = z.strictObject({
  seedId: z.string(),
  serverSeedHash: z.string(),
  clientSeed: z.string(),
  /** The nonce the next roll will use (users.next_nonce, advanced by every roll). */
  nextNonce: z.int(),
  createdAt: z.int(),
});

/** A rotated-out seed, shown in full so every roll made with it can be recomputed. */
export const revealedSeed = z.strictObject({
  seedId: z.string(),
  serverSeed: z.string(),
  serverSeedHash: z.string(),
  clientSeed: z.string(),
  noncesUsed: z.int(),
  revealedAt: z.int(),
});

export const fairnessView = z.strictObject({ active: activeSeed, revealed: z.array(revealedSeed) });
export const activeSeedResponse = z.strictObject({ active: activeSeed });
export const rotation = z.strictObject({ revealed: revealedSeed, active: activeSeed });

export type ActiveSeed = z.infer<typeof activeSeed>;
export type RevealedSeed = z.infer<typeof revealedSeed>;
export type FairnessView = z.infer<typeof fairnessView>;
