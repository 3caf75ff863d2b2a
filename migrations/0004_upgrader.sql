-- Hand-edited from drizzle-kit's output (drizzle-kit cannot express WITHOUT ROWID, and its rebuild
-- copied a column the old table does not have).
-- The upgrader: a table of upgrades clustered like the ledger, keyed by the id of its ledger entry;
-- and openings rebuilt for the `upgraded` status (a CHECK cannot be altered in place) with a `source`
-- column, still WITHOUT ROWID and clustered by (user_id, status, created_at, id). Rows are copied as
-- they are and every existing item is a case roll (`source` defaults to 'case').
-- Safe while the previous code serves for a moment (`npm run deploy` migrates first): it inserts
-- openings without `source` (the default is right for it), never writes `upgraded` or `upgrades`, and
-- lists only the statuses it knows. D1 keeps foreign keys on inside a migration: nothing references
-- openings, and the deferred checks run at commit, on the final tables.
PRAGMA defer_foreign_keys = on;
CREATE TABLE `upgrades` (
	`id` text NOT NULL,
	`user_id` text NOT NULL,
	`seed_id` text NOT NULL,
	`client_seed` text NOT NULL,
	`nonce` integer NOT NULL,
	`roll` integer NOT NULL,
	`staked_count` integer NOT NULL,
	`staked_value` integer NOT NULL,
	`house_edge` integer NOT NULL,
	`chance` integer NOT NULL,
	`target_item_id` text NOT NULL,
	`target_case_id` text NOT NULL,
	`target_case_version` integer NOT NULL,
	`target_name` text NOT NULL,
	`target_image_url` text,
	`target_rarity` text NOT NULL,
	`target_value` integer NOT NULL,
	`won_opening_id` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `created_at`, `id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`,`created_at`,`id`) REFERENCES `ledger`(`user_id`,`created_at`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "upgrades_chance_range" CHECK("chance" BETWEEN 100 AND 8000),
	CONSTRAINT "upgrades_roll_range" CHECK("roll" >= 0 AND "roll" < 1000000),
	CONSTRAINT "upgrades_outcome_is_the_roll" CHECK(("won_opening_id" IS NOT NULL) = ("roll" < "chance" * 100))
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `__new_openings` (
	`id` text NOT NULL,
	`user_id` text NOT NULL,
	`case_id` text NOT NULL,
	`case_version` integer NOT NULL,
	`price` integer NOT NULL,
	`ledger_id` text NOT NULL,
	`seed_id` text NOT NULL,
	`client_seed` text NOT NULL,
	`nonce` integer NOT NULL,
	`roll` integer NOT NULL,
	`item_id` text NOT NULL,
	`item_name` text NOT NULL,
	`item_image_url` text,
	`item_rarity` text NOT NULL,
	`item_value` integer NOT NULL,
	`item_kind` text NOT NULL,
	`status` text DEFAULT 'owned' NOT NULL,
	`source` text DEFAULT 'case' NOT NULL,
	`settled_ledger_id` text,
	`settled_at` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `status`, `created_at`, `id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`,`created_at`,`ledger_id`) REFERENCES `ledger`(`user_id`,`created_at`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "openings_status_valid" CHECK("status" IN ('owned', 'claimed', 'sold', 'upgraded')),
	CONSTRAINT "openings_source_valid" CHECK("source" IN ('case', 'upgrade'))
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_openings`("id", "user_id", "case_id", "case_version", "price", "ledger_id", "seed_id", "client_seed", "nonce", "roll", "item_id", "item_name", "item_image_url", "item_rarity", "item_value", "item_kind", "status", "settled_ledger_id", "settled_at", "created_at") SELECT "id", "user_id", "case_id", "case_version", "price", "ledger_id", "seed_id", "client_seed", "nonce", "roll", "item_id", "item_name", "item_image_url", "item_rarity", "item_value", "item_kind", "status", "settled_ledger_id", "settled_at", "created_at" FROM `openings`;--> statement-breakpoint
DROP TABLE `openings`;--> statement-breakpoint
ALTER TABLE `__new_openings` RENAME TO `openings`;--> statement-breakpoint
CREATE INDEX `openings_settled_ledger_idx` ON `openings` (`settled_ledger_id`) WHERE "openings"."settled_ledger_id" IS NOT NULL;