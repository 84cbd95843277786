-- Drop index "group_organization_id" from table: "groups"
DROP INDEX `group_organization_id`;
-- Create index "group_organization_id_id" to table: "groups"
CREATE INDEX `group_organization_id_id` ON `groups` (`organization_id`, `id`);
-- Drop index "user_organization_id" from table: "users"
DROP INDEX `user_organization_id`;
-- Create index "user_organization_id_id" to table: "users"
CREATE INDEX `user_organization_id_id` ON `users` (`organization_id`, `id`);
