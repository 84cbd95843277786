-- Each membership keeps its user's display (displayName, or userName when
-- that is empty), so a page of a group's members reads no users (issue 17).
--
-- Edited by hand: the column is added with a default, filled from the
-- users, and the default dropped (the ent schema declares none: every
-- insert writes the display).
ALTER TABLE "memberships" ADD COLUMN "display" character varying NOT NULL DEFAULT '';
UPDATE "memberships" AS m SET "display" = COALESCE(NULLIF(u."display_name", ''), u."user_name") FROM "users" AS u WHERE u."id" = m."user_id";
ALTER TABLE "memberships" ALTER COLUMN "display" DROP DEFAULT;
