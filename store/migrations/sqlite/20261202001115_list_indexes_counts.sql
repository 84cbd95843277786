-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_directories" table
CREATE TABLE `new_directories` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `provider` text NOT NULL, `enabled` bool NOT NULL DEFAULT (true), `last_synced_at` datetime NULL, `user_total` integer NOT NULL DEFAULT (0), `group_total` integer NOT NULL DEFAULT (0), `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `directories_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "directories" to new temporary table "new_directories"
INSERT INTO `new_directories` (`id`, `created_at`, `updated_at`, `name`, `provider`, `enabled`, `last_synced_at`, `organization_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `provider`, `enabled`, `last_synced_at`, `organization_id` FROM `directories`;
-- Drop "directories" table after copying rows
DROP TABLE `directories`;
-- Rename temporary table "new_directories" to "directories"
ALTER TABLE `new_directories` RENAME TO `directories`;
-- Create index "directory_organization_id" to table: "directories"
CREATE INDEX `directory_organization_id` ON `directories` (`organization_id`);
-- Create index "group_directory_id_id" to table: "groups"
CREATE INDEX `group_directory_id_id` ON `groups` (`directory_id`, `id`);
-- Create index "group_directory_id_created_at" to table: "groups"
CREATE INDEX `group_directory_id_created_at` ON `groups` (`directory_id`, `created_at`);
-- Create index "group_directory_id_updated_at" to table: "groups"
CREATE INDEX `group_directory_id_updated_at` ON `groups` (`directory_id`, `updated_at`);
-- Create index "user_directory_id_id" to table: "users"
CREATE INDEX `user_directory_id_id` ON `users` (`directory_id`, `id`);
-- Create index "user_directory_id_created_at" to table: "users"
CREATE INDEX `user_directory_id_created_at` ON `users` (`directory_id`, `created_at`);
-- Create index "user_directory_id_updated_at" to table: "users"
CREATE INDEX `user_directory_id_updated_at` ON `users` (`directory_id`, `updated_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
-- Written by hand: each directory's user and group totals, counted once
-- here and then kept by triggers in the writing transaction (exact within
-- it, whoever writes: the domain, a bulk load, a cascade), so a list's
-- totalResults is one row read, not a count.
UPDATE `directories` SET `user_total` = (SELECT count(*) FROM `users` WHERE `users`.`directory_id` = `directories`.`id`), `group_total` = (SELECT count(*) FROM `groups` WHERE `groups`.`directory_id` = `directories`.`id`);
CREATE TRIGGER `users_total_insert` AFTER INSERT ON `users` BEGIN UPDATE `directories` SET `user_total` = `user_total` + 1 WHERE `id` = NEW.`directory_id`; END;
CREATE TRIGGER `users_total_delete` AFTER DELETE ON `users` BEGIN UPDATE `directories` SET `user_total` = `user_total` - 1 WHERE `id` = OLD.`directory_id`; END;
CREATE TRIGGER `groups_total_insert` AFTER INSERT ON `groups` BEGIN UPDATE `directories` SET `group_total` = `group_total` + 1 WHERE `id` = NEW.`directory_id`; END;
CREATE TRIGGER `groups_total_delete` AFTER DELETE ON `groups` BEGIN UPDATE `directories` SET `group_total` = `group_total` - 1 WHERE `id` = OLD.`directory_id`; END;
