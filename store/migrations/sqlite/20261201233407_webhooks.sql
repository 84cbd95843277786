-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_webhook_deliveries" table
CREATE TABLE `new_webhook_deliveries` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `event_id` integer NOT NULL, `event_txid` integer NOT NULL DEFAULT (0), `event_type` text NOT NULL DEFAULT (''), `subject_id` uuid NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `attempt_count` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `last_attempt_at` datetime NULL, `last_response_status` integer NULL, `last_error` text NULL, `delivered_at` datetime NULL, `organization_id` uuid NOT NULL, `endpoint_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `webhook_deliveries_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `webhook_deliveries_webhook_endpoints_deliveries` FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "webhook_deliveries" to new temporary table "new_webhook_deliveries"
INSERT INTO `new_webhook_deliveries` (`id`, `created_at`, `updated_at`, `event_id`, `status`, `next_attempt_at`, `last_attempt_at`, `last_response_status`, `last_error`, `organization_id`, `endpoint_id`) SELECT `id`, `created_at`, `updated_at`, `event_id`, `status`, `next_attempt_at`, `last_attempt_at`, `last_response_status`, `last_error`, `organization_id`, `endpoint_id` FROM `webhook_deliveries`;
-- Drop "webhook_deliveries" table after copying rows
DROP TABLE `webhook_deliveries`;
-- Rename temporary table "new_webhook_deliveries" to "webhook_deliveries"
ALTER TABLE `new_webhook_deliveries` RENAME TO `webhook_deliveries`;
-- Create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_next_attempt_at` ON `webhook_deliveries` (`status`, `next_attempt_at`);
-- Create index "webhookdelivery_endpoint_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_endpoint_id_event_id` ON `webhook_deliveries` (`endpoint_id`, `event_id`);
-- Create index "webhookdelivery_endpoint_id_subject_id_status" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_endpoint_id_subject_id_status` ON `webhook_deliveries` (`endpoint_id`, `subject_id`, `status`);
-- Create "new_webhook_endpoints" table
CREATE TABLE `new_webhook_endpoints` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `url` text NOT NULL, `description` text NULL, `secret` text NOT NULL, `previous_secret` text NULL, `previous_secret_expires_at` datetime NULL, `event_types` json NULL, `enabled` bool NOT NULL DEFAULT (true), `last_event_txid` integer NOT NULL DEFAULT (0), `last_event_id` integer NOT NULL DEFAULT (0), `failing_since` datetime NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `webhook_endpoints_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "webhook_endpoints" to new temporary table "new_webhook_endpoints"
INSERT INTO `new_webhook_endpoints` (`id`, `created_at`, `updated_at`, `url`, `description`, `secret`, `event_types`, `enabled`, `organization_id`) SELECT `id`, `created_at`, `updated_at`, `url`, `description`, `secret`, `event_types`, `enabled`, `organization_id` FROM `webhook_endpoints`;
-- Drop "webhook_endpoints" table after copying rows
DROP TABLE `webhook_endpoints`;
-- Rename temporary table "new_webhook_endpoints" to "webhook_endpoints"
ALTER TABLE `new_webhook_endpoints` RENAME TO `webhook_endpoints`;
-- Create "webhook_attempts" table
CREATE TABLE `webhook_attempts` (`id` uuid NOT NULL, `number` integer NOT NULL, `created_at` datetime NOT NULL, `succeeded` bool NOT NULL, `response_status` integer NULL, `latency_ms` integer NOT NULL, `response_body` text NULL, `error` text NULL, `organization_id` uuid NOT NULL, `delivery_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `webhook_attempts_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `webhook_attempts_webhook_deliveries_attempts` FOREIGN KEY (`delivery_id`) REFERENCES `webhook_deliveries` (`id`) ON DELETE CASCADE);
-- Create index "webhookattempt_delivery_id_number" to table: "webhook_attempts"
CREATE INDEX `webhookattempt_delivery_id_number` ON `webhook_attempts` (`delivery_id`, `number`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
