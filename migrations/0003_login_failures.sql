-- Hand-edited from drizzle-kit's output (drizzle-kit cannot express WITHOUT ROWID): the key is the
-- row's only home, so counting an attempt writes one b-tree row, not a row and an index entry.
-- A new table only: the previous code, serving between migrate and deploy, never touches it.
CREATE TABLE `login_failures` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`window_started_at` integer NOT NULL
) WITHOUT ROWID;
