-- Group names are unique per directory without regard to case. Databases
-- may already hold groups whose names differ only in case: the oldest of
-- each such set keeps its key, each later one gets its key suffixed with
-- chr(31) (a control character no display name holds) and its rank, so the
-- unique index can be built and no group, membership or name is lost. Its
-- display name is unchanged; the next rename recomputes its key.
UPDATE "groups" AS g SET "display_name_key" = g."display_name_key" || chr(31) || d."n" FROM (SELECT "id", row_number() OVER (PARTITION BY "directory_id", "display_name_key" ORDER BY "created_at", "id") - 1 AS "n" FROM "groups") AS d WHERE g."id" = d."id" AND d."n" > 0;
-- Drop index "group_directory_id_display_name_key" from table: "groups"
DROP INDEX "group_directory_id_display_name_key";
-- Create index "group_directory_id_display_name_key" to table: "groups"
CREATE UNIQUE INDEX "group_directory_id_display_name_key" ON "groups" ("directory_id", "display_name_key");
