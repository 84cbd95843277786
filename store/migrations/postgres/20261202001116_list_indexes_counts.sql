-- Modify "directories" table
ALTER TABLE "directories" ADD COLUMN "user_total" bigint NOT NULL DEFAULT 0, ADD COLUMN "group_total" bigint NOT NULL DEFAULT 0;
-- Create index "group_directory_id_created_at" to table: "groups"
CREATE INDEX "group_directory_id_created_at" ON "groups" ("directory_id", "created_at");
-- Create index "group_directory_id_id" to table: "groups"
CREATE INDEX "group_directory_id_id" ON "groups" ("directory_id", "id");
-- Create index "group_directory_id_updated_at" to table: "groups"
CREATE INDEX "group_directory_id_updated_at" ON "groups" ("directory_id", "updated_at");
-- Create index "user_directory_id_created_at" to table: "users"
CREATE INDEX "user_directory_id_created_at" ON "users" ("directory_id", "created_at");
-- Create index "user_directory_id_id" to table: "users"
CREATE INDEX "user_directory_id_id" ON "users" ("directory_id", "id");
-- Create index "user_directory_id_updated_at" to table: "users"
CREATE INDEX "user_directory_id_updated_at" ON "users" ("directory_id", "updated_at");
-- Written by hand: each directory's user and group totals, counted once
-- here and then kept by statement-level triggers in the writing
-- transaction (exact within it, whoever writes: the domain, a bulk load,
-- a cascade), so a list's totalResults is one row read, not a count.
UPDATE "directories" SET "user_total" = (SELECT count(*) FROM "users" WHERE "users"."directory_id" = "directories"."id"), "group_total" = (SELECT count(*) FROM "groups" WHERE "groups"."directory_id" = "directories"."id");
CREATE FUNCTION "directory_user_total"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "directories" d SET "user_total" = d."user_total" + n.c
      FROM (SELECT "directory_id", count(*) AS c FROM new_rows GROUP BY "directory_id") n WHERE d."id" = n."directory_id";
  ELSE
    UPDATE "directories" d SET "user_total" = d."user_total" - o.c
      FROM (SELECT "directory_id", count(*) AS c FROM old_rows GROUP BY "directory_id") o WHERE d."id" = o."directory_id";
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION "directory_group_total"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "directories" d SET "group_total" = d."group_total" + n.c
      FROM (SELECT "directory_id", count(*) AS c FROM new_rows GROUP BY "directory_id") n WHERE d."id" = n."directory_id";
  ELSE
    UPDATE "directories" d SET "group_total" = d."group_total" - o.c
      FROM (SELECT "directory_id", count(*) AS c FROM old_rows GROUP BY "directory_id") o WHERE d."id" = o."directory_id";
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "users_total_insert" AFTER INSERT ON "users" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_user_total"();
CREATE TRIGGER "users_total_delete" AFTER DELETE ON "users" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_user_total"();
CREATE TRIGGER "groups_total_insert" AFTER INSERT ON "groups" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_group_total"();
CREATE TRIGGER "groups_total_delete" AFTER DELETE ON "groups" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_group_total"();
