-- Each membership keeps its user's display (displayName, or userName when
-- that is empty), so a page of a group's members reads no users (issue 17).
--
-- Written by hand: SQLite adds a NOT NULL column only with a default, which
-- the ent schema does not declare, so the table is rebuilt as the generator
-- rebuilds tables, its rows copied with their users' display. No foreign
-- key or trigger names memberships: dropping it cascades nowhere.
-- Create "new_memberships" table
CREATE TABLE `new_memberships` (`created_at` datetime NOT NULL, `display` text NOT NULL, `organization_id` uuid NOT NULL, `group_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`group_id`, `user_id`), CONSTRAINT `memberships_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `memberships_groups_group` FOREIGN KEY (`group_id`) REFERENCES `groups` (`id`) ON DELETE CASCADE, CONSTRAINT `memberships_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "memberships" to new temporary table "new_memberships", with their users' display
INSERT INTO `new_memberships` (`created_at`, `display`, `organization_id`, `group_id`, `user_id`) SELECT m.`created_at`, COALESCE(NULLIF(u.`display_name`, ''), u.`user_name`), m.`organization_id`, m.`group_id`, m.`user_id` FROM `memberships` AS m JOIN `users` AS u ON u.`id` = m.`user_id`;
-- Drop "memberships" table after copying rows
DROP TABLE `memberships`;
-- Rename temporary table "new_memberships" to "memberships"
ALTER TABLE `new_memberships` RENAME TO `memberships`;
-- Create index "membership_user_id" to table: "memberships"
CREATE INDEX `membership_user_id` ON `memberships` (`user_id`);
