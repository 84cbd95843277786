-- Add column "lease_expires_at" to table: "webhook_deliveries"
ALTER TABLE `webhook_deliveries` ADD COLUMN `lease_expires_at` datetime NULL;
-- Add columns "consecutive_failures" and "breaker_open_until" to table: "webhook_endpoints"
-- (edited by hand: columns added in place rather than the table rebuilt)
ALTER TABLE `webhook_endpoints` ADD COLUMN `consecutive_failures` integer NOT NULL DEFAULT (0);
ALTER TABLE `webhook_endpoints` ADD COLUMN `breaker_open_until` datetime NULL;
