import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// The single source of truth for D1: `npm run db:generate` turns this file into migrations/.
// Money is integer cents everywhere; the invariants that guard it live here as SQL
// constraints, so a racing request fails inside its batch instead of in JavaScript.
// Times are Unix milliseconds.

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    displayName: text("display_name").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ["player", "admin"] }).notNull().default("player"),
    balance: integer("balance").notNull().default(0),
    // Bumped with every balance or inventory change; events carry it so clients drop stale ones.
    version: integer("version").notNull().default(0),
    // The next nonce of the user's active server seed. It lives here, not on the seed, because an
    // opening writes this row anyway (the balance): claiming the nonce then costs no extra row.
    nextNonce: integer("next_nonce").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("users_email_unique").on(t.email),
    // The last line of defence for money: any batch that would overdraw rolls back whole.
    check("users_balance_non_negative", sql`${t.balance} >= 0`),
    check("users_role_valid", sql`${t.role} IN ('player', 'admin')`),
  ],
);

export const sessions = sqliteTable(
  "sessions",
  {
    // SHA-256 of the bearer token: a leaked table does not leak live sessions.
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** Short-lived, single-use tickets that let a non-cookie client open its private socket. */
export const realtimeTickets = sqliteTable("realtime_tickets", {
  id: text("id").primaryKey(),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  sessionId: text("session_id")
    .notNull()
    .references(() => sessions.id, { onDelete: "cascade" }),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});

export const cases = sqliteTable(
  "cases",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    imageUrl: text("image_url"),
    price: integer("price").notNull(),
    // Set only on a free case (price 0): how long a player waits between two free opens of it.
    freeCooldownSeconds: integer("free_cooldown_seconds"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    // Bumped on every change; openings point at (id, version) in case_revisions.
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("cases_slug_unique").on(t.slug),
    index("cases_active_idx").on(t.active),
    // A paid case costs something; a free one costs nothing and has a cooldown (see free_claims).
    check(
      "cases_price_valid",
      // NOT NULL spelled out: a CHECK that comes out NULL passes.
      sql`(${t.freeCooldownSeconds} IS NULL AND ${t.price} > 0) OR (${t.freeCooldownSeconds} IS NOT NULL AND ${t.freeCooldownSeconds} > 0 AND ${t.price} = 0)`,
    ),
  ],
);

/**
 * A player's last free open of a free case. The award batch upserts it with a WHERE that refuses an
 * open within the case's cooldown, and the opening's ledger entry is guarded on this row carrying the
 * entry's id: a refused upsert writes no entry, and the items' foreign key to the entry aborts the
 * batch. `WITHOUT ROWID` (see migrations/0005): one b-tree row per claim. No foreign key to cases, like
 * openings: deleting a case leaves players' rows alone.
 */
export const freeClaims = sqliteTable(
  "free_claims",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    caseId: text("case_id").notNull(),
    lastOpenedAt: integer("last_opened_at").notNull(),
    // The ledger entry of that open: the token its guard checks.
    ledgerId: text("ledger_id").notNull(),
  },
  (t) => [primaryKey({ name: "free_claims_pk", columns: [t.userId, t.caseId] })],
);

export const caseItems = sqliteTable(
  "case_items",
  {
    id: text("id").primaryKey(),
    caseId: text("case_id")
      .notNull()
      .references(() => cases.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    name: text("name").notNull(),
    imageUrl: text("image_url"),
    rarity: text("rarity").notNull(),
    value: integer("value").notNull(),
    kind: text("kind", { enum: ["skin", "money"] }).notNull(),
    weight: integer("weight").notNull(),
  },
  (t) => [
    index("case_items_case_idx").on(t.caseId, t.position),
    check("case_items_value_non_negative", sql`${t.value} >= 0`),
    check("case_items_weight_positive", sql`${t.weight} > 0`),
    check("case_items_kind_valid", sql`${t.kind} IN ('skin', 'money')`),
  ],
);

/**
 * An immutable snapshot of a case as it was at one version: price and every item with its weight.
 * No foreign key to `cases` on purpose: a deleted case's past openings must stay verifiable.
 */
export const caseRevisions = sqliteTable(
  "case_revisions",
  {
    caseId: text("case_id").notNull(),
    version: integer("version").notNull(),
    name: text("name").notNull(),
    price: integer("price").notNull(),
    items: text("items", { mode: "json" }).notNull().$type<RevisionItem[]>(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.caseId, t.version] })],
);

export interface RevisionItem {
  id: string;
  name: string;
  imageUrl: string | null;
  rarity: string;
  value: number;
  kind: "skin" | "money";
  weight: number;
}

/** One row: the catalogue's version, bumped with every case change (the lobby resumes by it). */
export const catalogState = sqliteTable("catalog_state", {
  id: integer("id").primaryKey(),
  version: integer("version").notNull(),
});

export const serverSeeds = sqliteTable(
  "server_seeds",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    seed: text("seed").notNull(),
    seedHash: text("seed_hash").notNull(),
    clientSeed: text("client_seed").notNull(),
    // Frozen when the seed is revealed: the nonces it served. While the seed is active the
    // counter is users.next_nonce (written with the balance), and this column stays 0.
    nextNonce: integer("next_nonce").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    revealedAt: integer("revealed_at"),
  },
  (t) => [
    // Exactly one unrevealed (active) seed per user.
    uniqueIndex("server_seeds_active_unique")
      .on(t.userId)
      .where(sql`${t.revealedAt} IS NULL`),
    index("server_seeds_user_idx").on(t.userId, t.createdAt),
  ],
);

/**
 * Clustered by (user_id, created_at, id) — a `WITHOUT ROWID` table (see migrations/0001): the
 * primary key is the row's only home, ordered the way history pages read it, so writing an
 * entry touches one b-tree instead of three. Point lookups therefore name the user and the time.
 */
/** Why a balance changed. Every ledger entry names one; `balance:updated` carries it too. */
/**
 * Battles: `battle_entry` pays a seat (the house's pays its bots' seats), `battle_refund` gives it back
 * (cancel, expiry), `battle_win` is the zero-delta entry that puts a battle's items in a winner's inventory.
 */
export const LEDGER_REASONS = ["open", "claim", "sell", "admin_credit", "admin_debit", "upgrade", "promo", "battle_entry", "battle_refund", "battle_win"] as const;

export const ledger = sqliteTable(
  "ledger",
  {
    id: text("id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    delta: integer("delta").notNull(),
    balanceAfter: integer("balance_after").notNull(),
    // users.version after this entry: every balance change is one version step.
    accountVersion: integer("account_version").notNull(),
    reason: text("reason", { enum: LEDGER_REASONS }).notNull(),
    // What the entry is about: the case for an opening, free text for an admin adjustment.
    ref: text("ref"),
    note: text("note"),
    actorId: text("actor_id"),
    // The ledger row doubles as the idempotency record: a retried request collides on this key.
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "ledger_pk", columns: [t.userId, t.createdAt, t.id] }),
    // Partial: keyless entries (most of them) cost no index write.
    uniqueIndex("ledger_idempotency_unique")
      .on(t.userId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} IS NOT NULL`),
    check("ledger_balance_after_non_negative", sql`${t.balanceAfter} >= 0`),
  ],
);

/** `upgraded`: staked in the upgrader and gone, won or lost (settled_ledger_id names the upgrade). */
export const OPENING_STATUSES = ["owned", "claimed", "sold", "upgraded"] as const;

/**
 * Where an item came from: a case roll, a win in the upgrader (its ledger_id is the upgrade), or a case
 * battle won (its ledger_id is the winner's `battle_win` entry, its seed_id the battle).
 */
export const ITEM_SOURCES = ["case", "upgrade", "battle"] as const;

/**
 * One row per roll. The won item lives on it, so the inventory is the set of openings whose
 * status is still `owned`; claim and sell move the status exactly once.
 *
 * Clustered by (user_id, status, created_at, id) — `WITHOUT ROWID`, no secondary index an opening
 * writes to: an inventory page or a claim-all is one range of the primary key, newest first, and a
 * claim moves the row from the `owned` range to `claimed`/`sold`. Lookups by id alone range over the
 * user's rows (the proof page), which costs reads, never writes.
 */
export const openings = sqliteTable(
  "openings",
  {
    id: text("id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    caseId: text("case_id").notNull(),
    caseVersion: integer("case_version").notNull(),
    price: integer("price").notNull(),
    ledgerId: text("ledger_id").notNull(),
    seedId: text("seed_id").notNull(),
    clientSeed: text("client_seed").notNull(),
    nonce: integer("nonce").notNull(),
    roll: integer("roll").notNull(),
    itemId: text("item_id").notNull(),
    itemName: text("item_name").notNull(),
    itemImageUrl: text("item_image_url"),
    itemRarity: text("item_rarity").notNull(),
    itemValue: integer("item_value").notNull(),
    itemKind: text("item_kind", { enum: ["skin", "money"] }).notNull(),
    status: text("status", { enum: OPENING_STATUSES }).notNull().default("owned"),
    // An upgrade win is a row here too (case_id/case_version name the revision the target came from),
    // but its roll is the upgrade's: the opening proof and verifier apply only to `case` rows.
    source: text("source", { enum: ITEM_SOURCES }).notNull().default("case"),
    settledLedgerId: text("settled_ledger_id"),
    settledAt: integer("settled_at"),
    // The opening's ledger entry has the same created_at: the award writes both at one instant.
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "openings_pk", columns: [t.userId, t.status, t.createdAt, t.id] }),
    // The warm opening path relies on this key: items whose guarded ledger row was not written abort the batch.
    foreignKey({ name: "openings_ledger_fk", columns: [t.userId, t.createdAt, t.ledgerId], foreignColumns: [ledger.userId, ledger.createdAt, ledger.id] }).onDelete("cascade"),
    // Partial, so an opening (the hot insert) writes no entry into it; replays of a claim or sale read it.
    index("openings_settled_ledger_idx")
      .on(t.settledLedgerId)
      .where(sql`${t.settledLedgerId} IS NOT NULL`),
    check("openings_status_valid", sql`${t.status} IN ('owned', 'claimed', 'sold', 'upgraded')`),
    check("openings_source_valid", sql`${t.source} IN ('case', 'upgrade', 'battle')`),
  ],
);

/**
 * One row per upgrade, won or lost: the roll and everything needed to verify it. Its id is the id of
 * its zero-delta `upgrade` ledger entry, and the foreign key to that entry aborts the upgrade's batch
 * when the guarded entry was not written. The staked items are the openings rows whose
 * settled_ledger_id is this id; a win adds the row `won_opening_id` names. Clustered like the ledger
 * (`WITHOUT ROWID`, see migrations/0004), so a player's upgrades are one range of the primary key.
 */
export const upgrades = sqliteTable(
  "upgrades",
  {
    id: text("id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    seedId: text("seed_id").notNull(),
    clientSeed: text("client_seed").notNull(),
    nonce: integer("nonce").notNull(),
    roll: integer("roll").notNull(),
    stakedCount: integer("staked_count").notNull(),
    stakedValue: integer("staked_value").notNull(),
    // Basis points, as they were when rolled: the chance follows from them and the values.
    houseEdge: integer("house_edge").notNull(),
    chance: integer("chance").notNull(),
    // The target as it was in its case at that version (case_revisions keeps that version).
    targetItemId: text("target_item_id").notNull(),
    targetCaseId: text("target_case_id").notNull(),
    targetCaseVersion: integer("target_case_version").notNull(),
    targetName: text("target_name").notNull(),
    targetImageUrl: text("target_image_url"),
    targetRarity: text("target_rarity").notNull(),
    targetValue: integer("target_value").notNull(),
    wonOpeningId: text("won_opening_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "upgrades_pk", columns: [t.userId, t.createdAt, t.id] }),
    foreignKey({ name: "upgrades_ledger_fk", columns: [t.userId, t.createdAt, t.id], foreignColumns: [ledger.userId, ledger.createdAt, ledger.id] }).onDelete("cascade"),
    check("upgrades_chance_range", sql`${t.chance} BETWEEN 100 AND 8000`),
    check("upgrades_roll_range", sql`${t.roll} >= 0 AND ${t.roll} < 1000000`),
    // The outcome is the roll's: a win is recorded exactly when roll < chance × 100.
    check("upgrades_outcome_is_the_roll", sql`(${t.wonOpeningId} IS NOT NULL) = (${t.roll} < ${t.chance} * 100)`),
  ],
);

/**
 * A case battle. D1 holds its money and its seeds; the Battle Durable Object holds its clock and its
 * room. `seats_taken` moves only by the guarded batch that takes a seat, and the one that takes the
 * last seat also sets `running` and `started_at`: from then on the outcome is fixed by the seeds
 * (`outcome` caches it, written once). `token` is written by the batch that ends the battle (settle,
 * cancel, expiry), and every entry of that batch is guarded on it: a battle ends exactly once.
 */
export const BATTLE_STATUS_VALUES = ["waiting", "running", "finished", "cancelled", "expired"] as const;

export const battles = sqliteTable(
  "battles",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    format: text("format", { enum: ["1v1", "1v1v1", "1v1v1v1", "2v2"] }).notNull(),
    mode: text("mode", { enum: ["classic", "crazy", "terminal"] }).notNull(),
    private: integer("private", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: BATTLE_STATUS_VALUES }).notNull().default("waiting"),
    seatCount: integer("seat_count").notNull(),
    seatsTaken: integer("seats_taken").notNull().default(0),
    // The rounds' cases as they were at creation (id, revision, name, image, price); revisions never change.
    rounds: text("rounds", { mode: "json" }).notNull().$type<BattleRoundRow[]>(),
    entry: integer("entry").notNull(),
    serverSeed: text("server_seed").notNull(),
    serverSeedHash: text("server_seed_hash").notNull(),
    roundMs: integer("round_ms").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    startedAt: integer("started_at"),
    endedAt: integer("ended_at"),
    outcome: text("outcome"),
    token: text("token"),
    version: integer("version").notNull().default(1),
  },
  (t) => [
    // The lobby lists public battles by status, newest first.
    index("battles_public_status_idx")
      .on(t.status, t.createdAt, t.id)
      .where(sql`${t.private} = 0`),
    check("battles_status_valid", sql`${t.status} IN ('waiting', 'running', 'finished', 'cancelled', 'expired')`),
    check("battles_format_valid", sql`${t.format} IN ('1v1', '1v1v1', '1v1v1v1', '2v2')`),
    check("battles_mode_valid", sql`${t.mode} IN ('classic', 'crazy', 'terminal')`),
    check("battles_seats_valid", sql`${t.seatsTaken} >= 0 AND ${t.seatsTaken} <= ${t.seatCount} AND ${t.seatCount} BETWEEN 2 AND 4`),
    check("battles_entry_positive", sql`${t.entry} > 0`),
    // A running or finished battle is full, and has a start.
    check("battles_started_full", sql`${t.status} IN ('waiting', 'cancelled', 'expired') OR (${t.seatsTaken} = ${t.seatCount} AND ${t.startedAt} IS NOT NULL)`),
  ],
);

export interface BattleRoundRow {
  caseId: string;
  version: number;
  name: string;
  imageUrl: string | null;
  price: number;
}

/**
 * One taken seat. The primary key is "a seat is taken once"; the unique index "a player sits once"
 * (bots have no user: NULLs never collide). `ledger_id` is the entry that paid it (the house's for a
 * bot), refunded by the same rule. `WITHOUT ROWID` (see migrations/0007): one b-tree row per seat.
 */
export const battleSeats = sqliteTable(
  "battle_seats",
  {
    battleId: text("battle_id")
      .notNull()
      .references(() => battles.id, { onDelete: "cascade" }),
    seat: integer("seat").notNull(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    bot: integer("bot", { mode: "boolean" }).notNull().default(false),
    displayName: text("display_name").notNull(),
    clientSeed: text("client_seed").notNull(),
    ledgerId: text("ledger_id").notNull(),
    joinedAt: integer("joined_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "battle_seats_pk", columns: [t.battleId, t.seat] }),
    uniqueIndex("battle_seats_user_unique").on(t.battleId, t.userId),
    check("battle_seats_seat_valid", sql`${t.seat} BETWEEN 1 AND 4`),
    check("battle_seats_bot_has_no_user", sql`(${t.bot} = 1) = (${t.userId} IS NULL)`),
  ],
);

export type BattleRow = typeof battles.$inferSelect;
export type BattleSeatRow = typeof battleSeats.$inferSelect;

export type UserRow = typeof users.$inferSelect;
export type CaseRow = typeof cases.$inferSelect;
export type CaseItemRow = typeof caseItems.$inferSelect;
export type OpeningRow = typeof openings.$inferSelect;
export type LedgerRow = typeof ledger.$inferSelect;
export type UpgradeRow = typeof upgrades.$inferSelect;

/**
 * Log-in attempts not proven right, per throttle key (an account and address pair, an address, an
 * account), counted in fixed windows: see src/features/auth/login-throttle.ts. The key is a hash, so
 * the table holds no email or address in the clear. A row whose window ended is dead weight, and
 * the hourly purge deletes it. `WITHOUT ROWID` (see migrations/0003): one b-tree row per count.
 */
export const loginFailures = sqliteTable("login_failures", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  windowStartedAt: integer("window_started_at").notNull(),
});

/**
 * Codes an admin hands out: each credits `amount` once per account, to at most `max_uses` accounts,
 * until it expires or is disabled. `code` is stored upper-case (what players type is normalised).
 * `uses` is bumped by the redemption batch with a guard, and CHECK keeps it within `max_uses`.
 */
export const promoCodes = sqliteTable(
  "promo_codes",
  {
    id: text("id").primaryKey(),
    code: text("code").notNull(),
    amount: integer("amount").notNull(),
    maxUses: integer("max_uses").notNull(),
    uses: integer("uses").notNull().default(0),
    expiresAt: integer("expires_at"),
    disabledAt: integer("disabled_at"),
    createdBy: text("created_by"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("promo_codes_code_unique").on(t.code),
    check("promo_codes_amount_positive", sql`${t.amount} > 0`),
    check("promo_codes_uses_within_max", sql`${t.uses} >= 0 AND ${t.uses} <= ${t.maxUses}`),
  ],
);

/**
 * One row per account that redeemed a code: the primary key is the once-per-account rule, and the
 * redemption's ledger entry is guarded on this row naming it. `WITHOUT ROWID` (see migrations/0006).
 */
export const promoRedemptions = sqliteTable(
  "promo_redemptions",
  {
    codeId: text("code_id")
      .notNull()
      .references(() => promoCodes.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    ledgerId: text("ledger_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  // The user first, like the ledger: an account's redemptions are one range, and so is a user delete's cascade.
  (t) => [primaryKey({ name: "promo_redemptions_pk", columns: [t.userId, t.codeId] })],
);

export type PromoCodeRow = typeof promoCodes.$inferSelect;
