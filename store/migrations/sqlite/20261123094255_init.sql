-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` uuid NOT NULL, `name` text NULL, `scope` text NOT NULL, `hash` blob NOT NULL, `prefix` text NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NULL, `last_used_at` datetime NULL, `organization_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `api_keys_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "api_keys_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_hash_key` ON `api_keys` (`hash`);
-- Create index "apikey_organization_id" to table: "api_keys"
CREATE INDEX `apikey_organization_id` ON `api_keys` (`organization_id`);
-- Create "directories" table
CREATE TABLE `directories` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `provider` text NOT NULL, `enabled` bool NOT NULL DEFAULT (true), `last_synced_at` datetime NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `directories_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "directory_organization_id" to table: "directories"
CREATE INDEX `directory_organization_id` ON `directories` (`organization_id`);
-- Create "directory_tokens" table
CREATE TABLE `directory_tokens` (`id` uuid NOT NULL, `hash` blob NOT NULL, `prefix` text NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NULL, `last_used_at` datetime NULL, `directory_id` uuid NOT NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `directory_tokens_directories_tokens` FOREIGN KEY (`directory_id`) REFERENCES `directories` (`id`) ON DELETE CASCADE, CONSTRAINT `directory_tokens_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "directory_tokens_hash_key" to table: "directory_tokens"
CREATE UNIQUE INDEX `directory_tokens_hash_key` ON `directory_tokens` (`hash`);
-- Create index "directorytoken_directory_id" to table: "directory_tokens"
CREATE INDEX `directorytoken_directory_id` ON `directory_tokens` (`directory_id`);
-- Create "events" table
CREATE TABLE `events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `type` text NOT NULL, `directory_id` uuid NULL, `subject_id` uuid NOT NULL, `data` json NOT NULL, `previous` json NULL, `created_at` datetime NOT NULL, `organization_id` uuid NOT NULL, CONSTRAINT `events_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "event_organization_id_id" to table: "events"
CREATE INDEX `event_organization_id_id` ON `events` (`organization_id`, `id`);
-- Create index "event_organization_id_type_id" to table: "events"
CREATE INDEX `event_organization_id_type_id` ON `events` (`organization_id`, `type`, `id`);
-- Create "groups" table
CREATE TABLE `groups` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `external_id` text NULL, `display_name` text NOT NULL, `display_name_key` text NOT NULL, `raw` json NULL, `directory_id` uuid NOT NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `groups_directories_groups` FOREIGN KEY (`directory_id`) REFERENCES `directories` (`id`) ON DELETE CASCADE, CONSTRAINT `groups_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "group_directory_id_display_name_key" to table: "groups"
CREATE INDEX `group_directory_id_display_name_key` ON `groups` (`directory_id`, `display_name_key`);
-- Create index "group_directory_id_external_id" to table: "groups"
CREATE INDEX `group_directory_id_external_id` ON `groups` (`directory_id`, `external_id`);
-- Create index "group_organization_id" to table: "groups"
CREATE INDEX `group_organization_id` ON `groups` (`organization_id`);
-- Create "group_roles" table
CREATE TABLE `group_roles` (`created_at` datetime NOT NULL, `organization_id` uuid NOT NULL, `group_id` uuid NOT NULL, `role_id` uuid NOT NULL, PRIMARY KEY (`group_id`, `role_id`), CONSTRAINT `group_roles_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `group_roles_groups_group` FOREIGN KEY (`group_id`) REFERENCES `groups` (`id`) ON DELETE CASCADE, CONSTRAINT `group_roles_roles_role` FOREIGN KEY (`role_id`) REFERENCES `roles` (`id`) ON DELETE CASCADE);
-- Create index "grouprole_role_id" to table: "group_roles"
CREATE INDEX `grouprole_role_id` ON `group_roles` (`role_id`);
-- Create "memberships" table
CREATE TABLE `memberships` (`created_at` datetime NOT NULL, `organization_id` uuid NOT NULL, `group_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`group_id`, `user_id`), CONSTRAINT `memberships_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `memberships_groups_group` FOREIGN KEY (`group_id`) REFERENCES `groups` (`id`) ON DELETE CASCADE, CONSTRAINT `memberships_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "membership_user_id" to table: "memberships"
CREATE INDEX `membership_user_id` ON `memberships` (`user_id`);
-- Create "organizations" table
CREATE TABLE `organizations` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `external_id` text NULL, `default_role_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `organizations_roles_default_role` FOREIGN KEY (`default_role_id`) REFERENCES `roles` (`id`) ON DELETE SET NULL);
-- Create index "organizations_slug_key" to table: "organizations"
CREATE UNIQUE INDEX `organizations_slug_key` ON `organizations` (`slug`);
-- Create index "organizations_external_id_key" to table: "organizations"
CREATE UNIQUE INDEX `organizations_external_id_key` ON `organizations` (`external_id`);
-- Create "roles" table
CREATE TABLE `roles` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `key` text NOT NULL, `name` text NOT NULL, `description` text NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `roles_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "role_organization_id_key" to table: "roles"
CREATE UNIQUE INDEX `role_organization_id_key` ON `roles` (`organization_id`, `key`);
-- Create "users" table
CREATE TABLE `users` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `external_id` text NULL, `user_name` text NOT NULL, `user_name_key` text NOT NULL, `name_formatted` text NULL, `family_name` text NULL, `given_name` text NULL, `middle_name` text NULL, `honorific_prefix` text NULL, `honorific_suffix` text NULL, `display_name` text NULL, `nick_name` text NULL, `profile_url` text NULL, `title` text NULL, `user_type` text NULL, `preferred_language` text NULL, `locale` text NULL, `timezone` text NULL, `active` bool NOT NULL DEFAULT (true), `primary_email` text NULL, `emails` json NULL, `phone_numbers` json NULL, `ims` json NULL, `photos` json NULL, `addresses` json NULL, `entitlements` json NULL, `scim_roles` json NULL, `x509_certificates` json NULL, `employee_number` text NULL, `cost_center` text NULL, `enterprise_organization` text NULL, `division` text NULL, `department` text NULL, `manager_id` text NULL, `manager_display_name` text NULL, `raw` json NULL, `directory_id` uuid NOT NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `users_directories_users` FOREIGN KEY (`directory_id`) REFERENCES `directories` (`id`) ON DELETE CASCADE, CONSTRAINT `users_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "user_directory_id_user_name_key" to table: "users"
CREATE UNIQUE INDEX `user_directory_id_user_name_key` ON `users` (`directory_id`, `user_name_key`);
-- Create index "user_directory_id_external_id" to table: "users"
CREATE INDEX `user_directory_id_external_id` ON `users` (`directory_id`, `external_id`);
-- Create index "user_directory_id_primary_email" to table: "users"
CREATE INDEX `user_directory_id_primary_email` ON `users` (`directory_id`, `primary_email`);
-- Create index "user_organization_id" to table: "users"
CREATE INDEX `user_organization_id` ON `users` (`organization_id`);
-- Create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `event_id` integer NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `last_attempt_at` datetime NULL, `last_response_status` integer NULL, `last_error` text NULL, `organization_id` uuid NOT NULL, `endpoint_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `webhook_deliveries_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `webhook_deliveries_webhook_endpoints_deliveries` FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints` (`id`) ON DELETE CASCADE);
-- Create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_next_attempt_at` ON `webhook_deliveries` (`status`, `next_attempt_at`);
-- Create index "webhookdelivery_endpoint_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_endpoint_id_event_id` ON `webhook_deliveries` (`endpoint_id`, `event_id`);
-- Create "webhook_endpoints" table
CREATE TABLE `webhook_endpoints` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `url` text NOT NULL, `description` text NULL, `secret` text NOT NULL, `event_types` json NULL, `enabled` bool NOT NULL DEFAULT (true), `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `webhook_endpoints_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
