-- Hand-edited from drizzle-kit's output: free cases (price 0 with a cooldown) and the claims that
-- enforce the cooldown.
-- SQLite cannot change a CHECK in place, so `cases` is rebuilt; rows are copied as they are. D1 keeps
-- foreign keys on inside a migration (drizzle-kit's `PRAGMA foreign_keys=OFF` is ignored there), and
-- dropping `cases` would cascade into `case_items`: as in 0001, the child is rebuilt too, pointing at
-- the new parent from the start, the old child is dropped before the old parent, and renaming
-- __new_cases rewrites the reference in case_items. Deferred checks run at commit, on the final tables.
-- The previous code, serving between migrate and deploy, reads and writes every column it knows;
-- it never sets free_cooldown_seconds, so what it writes is a paid case under the new CHECK too.
PRAGMA defer_foreign_keys = on;
CREATE TABLE `__new_cases` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`image_url` text,
	`price` integer NOT NULL,
	`free_cooldown_seconds` integer,
	`active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "cases_price_valid" CHECK(("__new_cases"."free_cooldown_seconds" IS NULL AND "__new_cases"."price" > 0) OR ("__new_cases"."free_cooldown_seconds" IS NOT NULL AND "__new_cases"."free_cooldown_seconds" > 0 AND "__new_cases"."price" = 0))
);
--> statement-breakpoint
INSERT INTO `__new_cases`("id", "slug", "name", "image_url", "price", "free_cooldown_seconds", "active", "version", "created_at", "updated_at") SELECT "id", "slug", "name", "image_url", "price", NULL, "active", "version", "created_at", "updated_at" FROM `cases`;--> statement-breakpoint
CREATE TABLE `__new_case_items` (
	`id` text PRIMARY KEY NOT NULL,
	`case_id` text NOT NULL,
	`position` integer NOT NULL,
	`name` text NOT NULL,
	`image_url` text,
	`rarity` text NOT NULL,
	`value` integer NOT NULL,
	`kind` text NOT NULL,
	`weight` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `__new_cases`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "case_items_value_non_negative" CHECK("__new_case_items"."value" >= 0),
	CONSTRAINT "case_items_weight_positive" CHECK("__new_case_items"."weight" > 0),
	CONSTRAINT "case_items_kind_valid" CHECK("__new_case_items"."kind" IN ('skin', 'money'))
);
--> statement-breakpoint
INSERT INTO `__new_case_items`("id", "case_id", "position", "name", "image_url", "rarity", "value", "kind", "weight") SELECT "id", "case_id", "position", "name", "image_url", "rarity", "value", "kind", "weight" FROM `case_items`;--> statement-breakpoint
DROP TABLE `case_items`;--> statement-breakpoint
DROP TABLE `cases`;--> statement-breakpoint
ALTER TABLE `__new_cases` RENAME TO `cases`;--> statement-breakpoint
ALTER TABLE `__new_case_items` RENAME TO `case_items`;--> statement-breakpoint
CREATE UNIQUE INDEX `cases_slug_unique` ON `cases` (`slug`);--> statement-breakpoint
CREATE INDEX `cases_active_idx` ON `cases` (`active`);--> statement-breakpoint
CREATE INDEX `case_items_case_idx` ON `case_items` (`case_id`,`position`);--> statement-breakpoint
-- WITHOUT ROWID (drizzle-kit cannot express it): the key is the row's only home, so a free open
-- writes one b-tree row here, not a row and an index entry.
CREATE TABLE `free_claims` (
	`user_id` text NOT NULL,
	`case_id` text NOT NULL,
	`last_opened_at` integer NOT NULL,
	`ledger_id` text NOT NULL,
	PRIMARY KEY(`user_id`, `case_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
-- The schema's own word that a free opening is backed by its claim: an opening's ledger entry of 0
-- (a free case) is refused unless a free claim names it. It makes the previous code, which knows
-- no cooldown, fail closed on a free case instead of handing out unlimited opens; for this code it
-- is the last line behind the award's guards. A paid opening (delta < 0) skips it without a read.
CREATE TRIGGER `ledger_free_open_claimed` BEFORE INSERT ON `ledger`
WHEN NEW.`reason` = 'open' AND NEW.`delta` = 0 AND NOT EXISTS (SELECT 1 FROM `free_claims` WHERE `free_claims`.`user_id` = NEW.`user_id` AND `free_claims`.`ledger_id` = NEW.`id`)
BEGIN
  SELECT RAISE(ABORT, 'a free opening needs its free claim (free_claims.ledger_id)');
END;
