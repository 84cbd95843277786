-- Create index "webhookdelivery_endpoint_id_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX "webhookdelivery_endpoint_id_status_next_attempt_at" ON "webhook_deliveries" ("endpoint_id", "status", "next_attempt_at");
