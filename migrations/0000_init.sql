CREATE TABLE `case_items` (
	`id` text PRIMARY KEY NOT NULL,
	`case_id` text NOT NULL,
	`position` integer NOT NULL,
	`name` text NOT NULL,
	`image_url` text,
	`rarity` text NOT NULL,
	`value` integer NOT NULL,
	`kind` text NOT NULL,
	`weight` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "case_items_value_non_negative" CHECK("case_items"."value" >= 0),
	CONSTRAINT "case_items_weight_positive" CHECK("case_items"."weight" > 0),
	CONSTRAINT "case_items_kind_valid" CHECK("case_items"."kind" IN ('skin', 'money'))
);
--> statement-breakpoint
CREATE INDEX `case_items_case_idx` ON `case_items` (`case_id`,`position`);--> statement-breakpoint
CREATE TABLE `case_revisions` (
	`case_id` text NOT NULL,
	`version` integer NOT NULL,
	`name` text NOT NULL,
	`price` integer NOT NULL,
	`items` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`case_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `cases` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`image_url` text,
	`price` integer NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "cases_price_positive" CHECK("cases"."price" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cases_slug_unique` ON `cases` (`slug`);--> statement-breakpoint
CREATE INDEX `cases_active_idx` ON `cases` (`active`);--> statement-breakpoint
CREATE TABLE `catalog_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ledger` (
	`id` text PRIMARY KEY NOT NULL,
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
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "ledger_balance_after_non_negative" CHECK("ledger"."balance_after" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_idempotency_unique` ON `ledger` (`user_id`,`idempotency_key`) WHERE "ledger"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `ledger_user_idx` ON `ledger` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `openings` (
	`id` text PRIMARY KEY NOT NULL,
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
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`ledger_id`) REFERENCES `ledger`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "openings_status_valid" CHECK("openings"."status" IN ('owned', 'claimed', 'sold'))
);
--> statement-breakpoint
CREATE INDEX `openings_user_idx` ON `openings` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `openings_user_status_idx` ON `openings` (`user_id`,`status`,`item_kind`);--> statement-breakpoint
CREATE INDEX `openings_settled_ledger_idx` ON `openings` (`settled_ledger_id`) WHERE "openings"."settled_ledger_id" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `realtime_tickets` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`session_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `server_seeds` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`seed` text NOT NULL,
	`seed_hash` text NOT NULL,
	`client_seed` text NOT NULL,
	`next_nonce` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`revealed_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `server_seeds_active_unique` ON `server_seeds` (`user_id`) WHERE "server_seeds"."revealed_at" IS NULL;--> statement-breakpoint
CREATE INDEX `server_seeds_user_idx` ON `server_seeds` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`display_name` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text DEFAULT 'player' NOT NULL,
	`balance` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "users_balance_non_negative" CHECK("users"."balance" >= 0),
	CONSTRAINT "users_role_valid" CHECK("users"."role" IN ('player', 'admin'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);