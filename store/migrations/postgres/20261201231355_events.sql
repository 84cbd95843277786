-- Drop index "event_organization_id_id" from table: "events"
DROP INDEX "event_organization_id_id";
-- Drop index "event_organization_id_type_id" from table: "events"
DROP INDEX "event_organization_id_type_id";
-- Modify "events" table
ALTER TABLE "events" ADD COLUMN "txid" bigint NULL DEFAULT ((pg_current_xact_id())::text)::bigint, ADD COLUMN "actor_type" character varying NOT NULL DEFAULT 'system', ADD COLUMN "actor_id" uuid NULL;
-- Create index "event_created_at" to table: "events"
CREATE INDEX "event_created_at" ON "events" ("created_at");
-- Create index "event_organization_id_subject_id" to table: "events"
CREATE INDEX "event_organization_id_subject_id" ON "events" ("organization_id", "subject_id");
-- Create index "event_organization_id_txid_id" to table: "events"
CREATE INDEX "event_organization_id_txid_id" ON "events" ("organization_id", "txid", "id");
