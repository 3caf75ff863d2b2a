-- The active seed's nonce counter moves onto users, the row an opening writes anyway (the balance),
-- so claiming nonces costs no extra written row. Revealed seeds keep their count in server_seeds.
ALTER TABLE `users` ADD `next_nonce` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `users` SET `next_nonce` = COALESCE((SELECT `next_nonce` FROM `server_seeds` WHERE `server_seeds`.`user_id` = `users`.`id` AND `server_seeds`.`revealed_at` IS NULL), 0);--> statement-breakpoint
UPDATE `server_seeds` SET `next_nonce` = 0 WHERE `revealed_at` IS NULL;
