-- Hand-edited from drizzle-kit's output (drizzle-kit cannot express WITHOUT ROWID).
-- ledger and openings become clustered tables keyed the way they are read (user, [status,] time, id):
-- an opening then writes one b-tree row per table instead of three and four (see BENCHMARKS.md).
-- Rows are copied as they are; ids do not change.
-- D1 keeps foreign keys on inside a migration, so the order matters: the new openings table points at
-- the new ledger table from the start, the old child is dropped before the old parent, and renaming
-- __new_ledger rewrites the reference in openings. Deferred checks run at commit, on the final tables.
PRAGMA defer_foreign_keys = on;
CREATE TABLE `__new_ledger` (
	`id` text NOT NULL,
	`user_id` text NOT NULL,
	`delta` integer NOT NULL,
	`balance_after` integer NOT NULL,
	`account_version` integer NOT NULL,
	`reason` text NOT NULL,
	`ref` text,
	`note` text,
	`actor_id` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `created_at`, `id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "ledger_balance_after_non_negative" CHECK("__new_ledger"."balance_after" >= 0)
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_ledger`("id", "user_id", "delta", "balance_after", "account_version", "reason", "ref", "note", "actor_id", "idempotency_key", "request_hash", "created_at") SELECT "id", "user_id", "delta", "balance_after", "account_version", "reason", "ref", "note", "actor_id", "idempotency_key", "request_hash", "created_at" FROM `ledger`;--> statement-breakpoint
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
	`settled_ledger_id` text,
	`settled_at` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `status`, `created_at`, `id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`,`created_at`,`ledger_id`) REFERENCES `__new_ledger`(`user_id`,`created_at`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "openings_status_valid" CHECK("__new_openings"."status" IN ('owned', 'claimed', 'sold'))
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_openings`("id", "user_id", "case_id", "case_version", "price", "ledger_id", "seed_id", "client_seed", "nonce", "roll", "item_id", "item_name", "item_image_url", "item_rarity", "item_value", "item_kind", "status", "settled_ledger_id", "settled_at", "created_at") SELECT "id", "user_id", "case_id", "case_version", "price", "ledger_id", "seed_id", "client_seed", "nonce", "roll", "item_id", "item_name", "item_image_url", "item_rarity", "item_value", "item_kind", "status", "settled_ledger_id", "settled_at", "created_at" FROM `openings`;--> statement-breakpoint
DROP TABLE `openings`;--> statement-breakpoint
DROP TABLE `ledger`;--> statement-breakpoint
ALTER TABLE `__new_ledger` RENAME TO `ledger`;--> statement-breakpoint
ALTER TABLE `__new_openings` RENAME TO `openings`;--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_idempotency_unique` ON `ledger` (`user_id`,`idempotency_key`) WHERE "ledger"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `openings_settled_ledger_idx` ON `openings` (`settled_ledger_id`) WHERE "openings"."settled_ledger_id" IS NOT NULL;
