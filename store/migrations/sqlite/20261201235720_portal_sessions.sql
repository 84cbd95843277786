-- Create "portal_sessions" table
CREATE TABLE `portal_sessions` (`id` uuid NOT NULL, `link_hash` blob NOT NULL, `link_expires_at` datetime NOT NULL, `used_at` datetime NULL, `session_hash` blob NULL, `session_expires_at` datetime NULL, `created_by` uuid NULL, `created_at` datetime NOT NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `portal_sessions_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "portal_sessions_link_hash_key" to table: "portal_sessions"
CREATE UNIQUE INDEX `portal_sessions_link_hash_key` ON `portal_sessions` (`link_hash`);
-- Create index "portal_sessions_session_hash_key" to table: "portal_sessions"
CREATE UNIQUE INDEX `portal_sessions_session_hash_key` ON `portal_sessions` (`session_hash`);
-- Create index "portalsession_organization_id" to table: "portal_sessions"
CREATE INDEX `portalsession_organization_id` ON `portal_sessions` (`organization_id`);
