-- Modify "webhook_endpoints" table
ALTER TABLE "webhook_endpoints" ADD COLUMN "previous_secret" character varying NULL, ADD COLUMN "previous_secret_expires_at" timestamptz NULL, ADD COLUMN "last_event_txid" bigint NOT NULL DEFAULT 0, ADD COLUMN "last_event_id" bigint NOT NULL DEFAULT 0, ADD COLUMN "failing_since" timestamptz NULL;
-- Modify "webhook_deliveries" table
ALTER TABLE "webhook_deliveries" DROP COLUMN "attempts", ADD COLUMN "event_txid" bigint NOT NULL DEFAULT 0, ADD COLUMN "event_type" character varying NOT NULL DEFAULT '', ADD COLUMN "subject_id" uuid NOT NULL, ADD COLUMN "attempt_count" bigint NOT NULL DEFAULT 0, ADD COLUMN "delivered_at" timestamptz NULL;
-- Create index "webhookdelivery_endpoint_id_subject_id_status" to table: "webhook_deliveries"
CREATE INDEX "webhookdelivery_endpoint_id_subject_id_status" ON "webhook_deliveries" ("endpoint_id", "subject_id", "status");
-- Create "webhook_attempts" table
CREATE TABLE "webhook_attempts" ("id" uuid NOT NULL, "number" bigint NOT NULL, "created_at" timestamptz NOT NULL, "succeeded" boolean NOT NULL, "response_status" bigint NULL, "latency_ms" bigint NOT NULL, "response_body" character varying NULL, "error" character varying NULL, "organization_id" uuid NOT NULL, "delivery_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "webhook_attempts_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "webhook_attempts_webhook_deliveries_attempts" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "webhookattempt_delivery_id_number" to table: "webhook_attempts"
CREATE INDEX "webhookattempt_delivery_id_number" ON "webhook_attempts" ("delivery_id", "number");
