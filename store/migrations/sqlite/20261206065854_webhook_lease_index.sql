-- Create index "webhookdelivery_lease_expires_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_lease_expires_at` ON `webhook_deliveries` (`lease_expires_at`);
