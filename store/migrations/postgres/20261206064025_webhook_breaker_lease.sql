-- Modify "webhook_deliveries" table
ALTER TABLE "webhook_deliveries" ADD COLUMN "lease_expires_at" timestamptz NULL;
-- Modify "webhook_endpoints" table
ALTER TABLE "webhook_endpoints" ADD COLUMN "consecutive_failures" bigint NOT NULL DEFAULT 0, ADD COLUMN "breaker_open_until" timestamptz NULL;
