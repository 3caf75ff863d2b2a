-- Hand-edited from drizzle-kit's output (drizzle-kit cannot express WITHOUT ROWID): promo codes and
-- their redemptions. New tables only: the previous code, serving between migrate and deploy, never
-- touches them.
CREATE TABLE `promo_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`amount` integer NOT NULL,
	`max_uses` integer NOT NULL,
	`uses` integer DEFAULT 0 NOT NULL,
	`expires_at` integer,
	`disabled_at` integer,
	`created_by` text,
	`created_at` integer NOT NULL,
	CONSTRAINT "promo_codes_amount_positive" CHECK("promo_codes"."amount" > 0),
	CONSTRAINT "promo_codes_uses_within_max" CHECK("promo_codes"."uses" >= 0 AND "promo_codes"."uses" <= "promo_codes"."max_uses")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `promo_codes_code_unique` ON `promo_codes` (`code`);--> statement-breakpoint
CREATE TABLE `promo_redemptions` (
	`code_id` text NOT NULL,
	`user_id` text NOT NULL,
	`ledger_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `code_id`),
	FOREIGN KEY (`code_id`) REFERENCES `promo_codes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
