/** Skin grades, lowest first. Kept apart from the zod schemas so the site can import the list without zod. */
export const RARITIES = ["consumer", "industrial", "milspec", "restricted", "classified", "covert", "extraordinary"] as const;

export type Rarity = (typeof RARITIES)[number];
