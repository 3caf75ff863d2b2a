-- The active seed's nonce counter moves onto users, the row an opening writes anyway (the balance),
-- so claiming nonces costs no extra written row. Revealed seeds keep their count in server_seeds.
ALTER TABLE `users` ADD `next_nonce` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `users` SET `next_nonce` = COALESCE((SELECT `next_nonce` FROM `server_seeds` WHERE `server_seeds`.`user_id` = `users`.`id` AND `server_seeds`.`revealed_at` IS NULL), 0);--> statement-breakpoint
UPDATE `server_seeds` SET `next_nonce` = 0 WHERE `revealed_at` IS NULL;--> statement-breakpoint
-- `npm run deploy` migrates before it deploys, so for a moment the previous code serves on this
-- schema, and it counts nonces on the active seed: it would hand out nonces the new counter already
-- holds (a repeated nonce is a roll players can predict). From here on, counting on an active seed
-- aborts its batch instead: the previous code's openings fail (and are retried) for that moment.
-- Revealing a seed (revealed_at set in the same UPDATE) still records the nonces it served.
CREATE TRIGGER `server_seeds_nonce_retired` BEFORE UPDATE OF `next_nonce` ON `server_seeds`
WHEN NEW.`revealed_at` IS NULL
BEGIN
  SELECT RAISE(ABORT, 'server_seeds.next_nonce is retired for active seeds: nonces are counted in users.next_nonce');
END;
