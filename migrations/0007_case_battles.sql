-- Hand-edited from drizzle-kit's output (drizzle-kit cannot express WITHOUT ROWID or seed rows).
-- Case battles: `battles` (one row per battle: its rounds, entry, seeds, status and clock) and
-- `battle_seats` (one row per taken seat, clustered by (battle_id, seat), WITHOUT ROWID; the unique
-- (battle_id, user_id) index says a player sits once). openings is rebuilt for the `battle` source (a
-- CHECK cannot be altered in place), still WITHOUT ROWID and clustered as before; rows are copied as
-- they are. The house (the account that pays bots' entries and keeps their winnings) is created with
-- a float of 1,000,000.00 and the ledger entry that explains it, so Σ ledger = balance holds for it.
-- Safe while the previous code serves for a moment (`npm run deploy` migrates first): it never reads
-- the new tables, never writes `battle` items, and the house is an account it cannot log in to.
-- D1 keeps foreign keys on inside a migration: the deferred checks run at commit, on the final tables.
PRAGMA defer_foreign_keys = on;
CREATE TABLE `battle_seats` (
	`battle_id` text NOT NULL,
	`seat` integer NOT NULL,
	`user_id` text,
	`bot` integer DEFAULT false NOT NULL,
	`display_name` text NOT NULL,
	`client_seed` text NOT NULL,
	`ledger_id` text NOT NULL,
	`joined_at` integer NOT NULL,
	PRIMARY KEY(`battle_id`, `seat`),
	FOREIGN KEY (`battle_id`) REFERENCES `battles`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "battle_seats_seat_valid" CHECK("battle_seats"."seat" BETWEEN 1 AND 4),
	CONSTRAINT "battle_seats_bot_has_no_user" CHECK(("battle_seats"."bot" = 1) = ("battle_seats"."user_id" IS NULL))
) WITHOUT ROWID;
--> statement-breakpoint
CREATE UNIQUE INDEX `battle_seats_user_unique` ON `battle_seats` (`battle_id`,`user_id`);--> statement-breakpoint
CREATE TABLE `battles` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`format` text NOT NULL,
	`mode` text NOT NULL,
	`private` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'waiting' NOT NULL,
	`seat_count` integer NOT NULL,
	`seats_taken` integer DEFAULT 0 NOT NULL,
	`rounds` text NOT NULL,
	`entry` integer NOT NULL,
	`server_seed` text NOT NULL,
	`server_seed_hash` text NOT NULL,
	`round_ms` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`started_at` integer,
	`ended_at` integer,
	`outcome` text,
	`token` text,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "battles_status_valid" CHECK("battles"."status" IN ('waiting', 'running', 'finished', 'cancelled', 'expired')),
	CONSTRAINT "battles_format_valid" CHECK("battles"."format" IN ('1v1', '1v1v1', '1v1v1v1', '2v2')),
	CONSTRAINT "battles_mode_valid" CHECK("battles"."mode" IN ('classic', 'crazy', 'terminal')),
	CONSTRAINT "battles_seats_valid" CHECK("battles"."seats_taken" >= 0 AND "battles"."seats_taken" <= "battles"."seat_count" AND "battles"."seat_count" BETWEEN 2 AND 4),
	CONSTRAINT "battles_entry_positive" CHECK("battles"."entry" > 0),
	CONSTRAINT "battles_started_full" CHECK("battles"."status" IN ('waiting', 'cancelled', 'expired') OR ("battles"."seats_taken" = "battles"."seat_count" AND "battles"."started_at" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `battles_public_status_idx` ON `battles` (`status`,`created_at`,`id`) WHERE "battles"."private" = 0;--> statement-breakpoint
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
	CONSTRAINT "openings_source_valid" CHECK("source" IN ('case', 'upgrade', 'battle'))
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_openings`("id", "user_id", "case_id", "case_version", "price", "ledger_id", "seed_id", "client_seed", "nonce", "roll", "item_id", "item_name", "item_image_url", "item_rarity", "item_value", "item_kind", "status", "source", "settled_ledger_id", "settled_at", "created_at") SELECT "id", "user_id", "case_id", "case_version", "price", "ledger_id", "seed_id", "client_seed", "nonce", "roll", "item_id", "item_name", "item_image_url", "item_rarity", "item_value", "item_kind", "status", "source", "settled_ledger_id", "settled_at", "created_at" FROM `openings`;--> statement-breakpoint
DROP TABLE `openings`;--> statement-breakpoint
ALTER TABLE `__new_openings` RENAME TO `openings`;--> statement-breakpoint
CREATE INDEX `openings_settled_ledger_idx` ON `openings` (`settled_ledger_id`) WHERE "openings"."settled_ledger_id" IS NOT NULL;--> statement-breakpoint
-- The house: no password hash verifies against '!' (not the pbkdf2 scheme), so nobody logs in as it.
INSERT INTO `users` (`id`, `email`, `display_name`, `password_hash`, `role`, `balance`, `version`, `next_nonce`, `created_at`)
VALUES ('00000000-0000-4000-8000-000000000001', 'house@cyberhub.invalid', 'CyberHub House', '!', 'player', 100000000, 1, 0, 1796200000000)
ON CONFLICT (`id`) DO NOTHING;--> statement-breakpoint
INSERT INTO `ledger` (`id`, `user_id`, `delta`, `balance_after`, `account_version`, `reason`, `ref`, `note`, `actor_id`, `idempotency_key`, `request_hash`, `created_at`)
SELECT '00000000-0000-4000-8000-0000000f1047', '00000000-0000-4000-8000-000000000001', 100000000, 100000000, 1, 'admin_credit', NULL, 'house float for case battle bots (migration 0007)', NULL, NULL, NULL, 1796200000000
WHERE NOT EXISTS (SELECT 1 FROM `ledger` WHERE `user_id` = '00000000-0000-4000-8000-000000000001');
