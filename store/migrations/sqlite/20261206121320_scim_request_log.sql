-- Drop the hand-written triggers of store/triggers.go while this migration changes directories
DROP TRIGGER IF EXISTS `users_total_insert`;
DROP TRIGGER IF EXISTS `users_total_delete`;
DROP TRIGGER IF EXISTS `groups_total_insert`;
DROP TRIGGER IF EXISTS `groups_total_delete`;
-- Create "revoked_tokens" table
CREATE TABLE `revoked_tokens` (`id` uuid NOT NULL, `token_id` uuid NOT NULL, `hash` blob NOT NULL, `prefix` text NOT NULL, `revoked_at` datetime NOT NULL, `organization_id` uuid NOT NULL, `directory_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `revoked_tokens_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `revoked_tokens_directories_directory` FOREIGN KEY (`directory_id`) REFERENCES `directories` (`id`) ON DELETE CASCADE);
-- Create index "revoked_tokens_hash_key" to table: "revoked_tokens"
CREATE UNIQUE INDEX `revoked_tokens_hash_key` ON `revoked_tokens` (`hash`);
-- Create index "revokedtoken_revoked_at" to table: "revoked_tokens"
CREATE INDEX `revokedtoken_revoked_at` ON `revoked_tokens` (`revoked_at`);
-- Create "scim_requests" table
CREATE TABLE `scim_requests` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `method` text NOT NULL, `path` text NOT NULL, `status` integer NOT NULL, `failed` bool NOT NULL, `scim_type` text NULL, `detail` text NULL, `refusal` text NULL, `duration_us` integer NOT NULL, `effect` text NULL, `changes` json NULL, `user_id` uuid NULL, `user_name` text NULL, `token_id` uuid NULL, `request_body` text NULL, `response_body` text NULL, `organization_id` uuid NOT NULL, `directory_id` uuid NOT NULL, CONSTRAINT `scim_requests_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `scim_requests_directories_directory` FOREIGN KEY (`directory_id`) REFERENCES `directories` (`id`) ON DELETE CASCADE);
-- Create index "scimrequest_directory_id_id" to table: "scim_requests"
CREATE INDEX `scimrequest_directory_id_id` ON `scim_requests` (`directory_id`, `id`);
-- Create index "scimrequest_directory_id_failed_id" to table: "scim_requests"
CREATE INDEX `scimrequest_directory_id_failed_id` ON `scim_requests` (`directory_id`, `failed`, `id`);
-- Create index "scimrequest_directory_id_user_id_id" to table: "scim_requests"
CREATE INDEX `scimrequest_directory_id_user_id_id` ON `scim_requests` (`directory_id`, `user_id`, `id`);
-- Create index "scimrequest_created_at" to table: "scim_requests"
CREATE INDEX `scimrequest_created_at` ON `scim_requests` (`created_at`);
-- Create the hand-written triggers of store/triggers.go again, then count the totals they keep
CREATE TRIGGER `users_total_insert` AFTER INSERT ON `users` BEGIN UPDATE `directories` SET `user_total` = `user_total` + 1 WHERE `id` = NEW.`directory_id`; END;
CREATE TRIGGER `users_total_delete` AFTER DELETE ON `users` BEGIN UPDATE `directories` SET `user_total` = `user_total` - 1 WHERE `id` = OLD.`directory_id`; END;
CREATE TRIGGER `groups_total_insert` AFTER INSERT ON `groups` BEGIN UPDATE `directories` SET `group_total` = `group_total` + 1 WHERE `id` = NEW.`directory_id`; END;
CREATE TRIGGER `groups_total_delete` AFTER DELETE ON `groups` BEGIN UPDATE `directories` SET `group_total` = `group_total` - 1 WHERE `id` = OLD.`directory_id`; END;
UPDATE `directories` SET `user_total` = (SELECT count(*) FROM `users` WHERE `users`.`directory_id` = `directories`.`id`), `group_total` = (SELECT count(*) FROM `groups` WHERE `groups`.`directory_id` = `directories`.`id`);
