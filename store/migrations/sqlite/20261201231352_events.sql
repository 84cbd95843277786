-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_events" table
CREATE TABLE `new_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `txid` integer NULL DEFAULT (0), `type` text NOT NULL, `directory_id` uuid NULL, `subject_id` uuid NOT NULL, `actor_type` text NOT NULL DEFAULT ('system'), `actor_id` uuid NULL, `data` json NOT NULL, `previous` json NULL, `created_at` datetime NOT NULL, `organization_id` uuid NOT NULL, CONSTRAINT `events_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "events" to new temporary table "new_events"
INSERT INTO `new_events` (`id`, `type`, `directory_id`, `subject_id`, `data`, `previous`, `created_at`, `organization_id`) SELECT `id`, `type`, `directory_id`, `subject_id`, `data`, `previous`, `created_at`, `organization_id` FROM `events`;
-- Drop "events" table after copying rows
DROP TABLE `events`;
-- Rename temporary table "new_events" to "events"
ALTER TABLE `new_events` RENAME TO `events`;
-- Create index "event_organization_id_txid_id" to table: "events"
CREATE INDEX `event_organization_id_txid_id` ON `events` (`organization_id`, `txid`, `id`);
-- Create index "event_organization_id_subject_id" to table: "events"
CREATE INDEX `event_organization_id_subject_id` ON `events` (`organization_id`, `subject_id`);
-- Create index "event_created_at" to table: "events"
CREATE INDEX `event_created_at` ON `events` (`created_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
