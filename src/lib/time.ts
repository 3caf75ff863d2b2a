/** Milliseconds since the epoch; one function so tests and code agree on the unit. */
export const now = (): number => Date.now();
