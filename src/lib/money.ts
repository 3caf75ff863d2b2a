import { z } from "zod";

/** Largest amount we accept anywhere: 10 million in major units, far below 2^53. */
export const MAX_CENTS = 1_000_000_000;

/** Integer minor units (cents). JSON numbers with a fraction are rejected, never rounded. */
export const cents = z.number().int("must be whole cents (an integer)").max(MAX_CENTS, `must be at most ${MAX_CENTS}`);
