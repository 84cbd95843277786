-- SQLite times become sortable UTC text. The store now opens SQLite with
-- modernc's _time_format=sqlite and _timezone=UTC, which write
-- "2006-01-02 15:04:05.999999999+00:00": one offset, so text order is time
-- order. Rows written before held Go's time.String() form,
-- "2006-01-02 15:04:05.999999999 -0700 MST" (maybe with " m=+0.1" after):
-- each time column of each table is rewritten from it into the new form,
-- shifted to UTC by its offset, keeping the fraction as written. A value
-- already in the new form (no space after the seconds) is left alone.
-- Written by hand (a data change; the schema is unchanged).
-- api_keys.created_at
UPDATE `api_keys` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- api_keys.expires_at
UPDATE `api_keys` SET `expires_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`expires_at`, 1, 19) || substr(`expires_at`, 20 + instr(substr(`expires_at`, 20), ' '), 3) || ':' || substr(`expires_at`, 23 + instr(substr(`expires_at`, 20), ' '), 2)) || substr(`expires_at`, 20, instr(substr(`expires_at`, 20), ' ') - 1) || '+00:00' WHERE `expires_at` IS NOT NULL AND instr(substr(`expires_at`, 20), ' ') > 0;
-- api_keys.last_used_at
UPDATE `api_keys` SET `last_used_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`last_used_at`, 1, 19) || substr(`last_used_at`, 20 + instr(substr(`last_used_at`, 20), ' '), 3) || ':' || substr(`last_used_at`, 23 + instr(substr(`last_used_at`, 20), ' '), 2)) || substr(`last_used_at`, 20, instr(substr(`last_used_at`, 20), ' ') - 1) || '+00:00' WHERE `last_used_at` IS NOT NULL AND instr(substr(`last_used_at`, 20), ' ') > 0;
-- directories.created_at
UPDATE `directories` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- directories.updated_at
UPDATE `directories` SET `updated_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`updated_at`, 1, 19) || substr(`updated_at`, 20 + instr(substr(`updated_at`, 20), ' '), 3) || ':' || substr(`updated_at`, 23 + instr(substr(`updated_at`, 20), ' '), 2)) || substr(`updated_at`, 20, instr(substr(`updated_at`, 20), ' ') - 1) || '+00:00' WHERE `updated_at` IS NOT NULL AND instr(substr(`updated_at`, 20), ' ') > 0;
-- directories.last_synced_at
UPDATE `directories` SET `last_synced_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`last_synced_at`, 1, 19) || substr(`last_synced_at`, 20 + instr(substr(`last_synced_at`, 20), ' '), 3) || ':' || substr(`last_synced_at`, 23 + instr(substr(`last_synced_at`, 20), ' '), 2)) || substr(`last_synced_at`, 20, instr(substr(`last_synced_at`, 20), ' ') - 1) || '+00:00' WHERE `last_synced_at` IS NOT NULL AND instr(substr(`last_synced_at`, 20), ' ') > 0;
-- directory_tokens.created_at
UPDATE `directory_tokens` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- directory_tokens.expires_at
UPDATE `directory_tokens` SET `expires_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`expires_at`, 1, 19) || substr(`expires_at`, 20 + instr(substr(`expires_at`, 20), ' '), 3) || ':' || substr(`expires_at`, 23 + instr(substr(`expires_at`, 20), ' '), 2)) || substr(`expires_at`, 20, instr(substr(`expires_at`, 20), ' ') - 1) || '+00:00' WHERE `expires_at` IS NOT NULL AND instr(substr(`expires_at`, 20), ' ') > 0;
-- directory_tokens.last_used_at
UPDATE `directory_tokens` SET `last_used_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`last_used_at`, 1, 19) || substr(`last_used_at`, 20 + instr(substr(`last_used_at`, 20), ' '), 3) || ':' || substr(`last_used_at`, 23 + instr(substr(`last_used_at`, 20), ' '), 2)) || substr(`last_used_at`, 20, instr(substr(`last_used_at`, 20), ' ') - 1) || '+00:00' WHERE `last_used_at` IS NOT NULL AND instr(substr(`last_used_at`, 20), ' ') > 0;
-- events.created_at
UPDATE `events` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- groups.created_at
UPDATE `groups` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- groups.updated_at
UPDATE `groups` SET `updated_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`updated_at`, 1, 19) || substr(`updated_at`, 20 + instr(substr(`updated_at`, 20), ' '), 3) || ':' || substr(`updated_at`, 23 + instr(substr(`updated_at`, 20), ' '), 2)) || substr(`updated_at`, 20, instr(substr(`updated_at`, 20), ' ') - 1) || '+00:00' WHERE `updated_at` IS NOT NULL AND instr(substr(`updated_at`, 20), ' ') > 0;
-- group_roles.created_at
UPDATE `group_roles` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- memberships.created_at
UPDATE `memberships` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- organizations.created_at
UPDATE `organizations` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- organizations.updated_at
UPDATE `organizations` SET `updated_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`updated_at`, 1, 19) || substr(`updated_at`, 20 + instr(substr(`updated_at`, 20), ' '), 3) || ':' || substr(`updated_at`, 23 + instr(substr(`updated_at`, 20), ' '), 2)) || substr(`updated_at`, 20, instr(substr(`updated_at`, 20), ' ') - 1) || '+00:00' WHERE `updated_at` IS NOT NULL AND instr(substr(`updated_at`, 20), ' ') > 0;
-- roles.created_at
UPDATE `roles` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- roles.updated_at
UPDATE `roles` SET `updated_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`updated_at`, 1, 19) || substr(`updated_at`, 20 + instr(substr(`updated_at`, 20), ' '), 3) || ':' || substr(`updated_at`, 23 + instr(substr(`updated_at`, 20), ' '), 2)) || substr(`updated_at`, 20, instr(substr(`updated_at`, 20), ' ') - 1) || '+00:00' WHERE `updated_at` IS NOT NULL AND instr(substr(`updated_at`, 20), ' ') > 0;
-- users.created_at
UPDATE `users` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- users.updated_at
UPDATE `users` SET `updated_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`updated_at`, 1, 19) || substr(`updated_at`, 20 + instr(substr(`updated_at`, 20), ' '), 3) || ':' || substr(`updated_at`, 23 + instr(substr(`updated_at`, 20), ' '), 2)) || substr(`updated_at`, 20, instr(substr(`updated_at`, 20), ' ') - 1) || '+00:00' WHERE `updated_at` IS NOT NULL AND instr(substr(`updated_at`, 20), ' ') > 0;
-- webhook_deliveries.created_at
UPDATE `webhook_deliveries` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- webhook_deliveries.updated_at
UPDATE `webhook_deliveries` SET `updated_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`updated_at`, 1, 19) || substr(`updated_at`, 20 + instr(substr(`updated_at`, 20), ' '), 3) || ':' || substr(`updated_at`, 23 + instr(substr(`updated_at`, 20), ' '), 2)) || substr(`updated_at`, 20, instr(substr(`updated_at`, 20), ' ') - 1) || '+00:00' WHERE `updated_at` IS NOT NULL AND instr(substr(`updated_at`, 20), ' ') > 0;
-- webhook_deliveries.next_attempt_at
UPDATE `webhook_deliveries` SET `next_attempt_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`next_attempt_at`, 1, 19) || substr(`next_attempt_at`, 20 + instr(substr(`next_attempt_at`, 20), ' '), 3) || ':' || substr(`next_attempt_at`, 23 + instr(substr(`next_attempt_at`, 20), ' '), 2)) || substr(`next_attempt_at`, 20, instr(substr(`next_attempt_at`, 20), ' ') - 1) || '+00:00' WHERE `next_attempt_at` IS NOT NULL AND instr(substr(`next_attempt_at`, 20), ' ') > 0;
-- webhook_deliveries.last_attempt_at
UPDATE `webhook_deliveries` SET `last_attempt_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`last_attempt_at`, 1, 19) || substr(`last_attempt_at`, 20 + instr(substr(`last_attempt_at`, 20), ' '), 3) || ':' || substr(`last_attempt_at`, 23 + instr(substr(`last_attempt_at`, 20), ' '), 2)) || substr(`last_attempt_at`, 20, instr(substr(`last_attempt_at`, 20), ' ') - 1) || '+00:00' WHERE `last_attempt_at` IS NOT NULL AND instr(substr(`last_attempt_at`, 20), ' ') > 0;
-- webhook_endpoints.created_at
UPDATE `webhook_endpoints` SET `created_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`created_at`, 1, 19) || substr(`created_at`, 20 + instr(substr(`created_at`, 20), ' '), 3) || ':' || substr(`created_at`, 23 + instr(substr(`created_at`, 20), ' '), 2)) || substr(`created_at`, 20, instr(substr(`created_at`, 20), ' ') - 1) || '+00:00' WHERE `created_at` IS NOT NULL AND instr(substr(`created_at`, 20), ' ') > 0;
-- webhook_endpoints.updated_at
UPDATE `webhook_endpoints` SET `updated_at` = strftime('%Y-%m-%d %H:%M:%S', substr(`updated_at`, 1, 19) || substr(`updated_at`, 20 + instr(substr(`updated_at`, 20), ' '), 3) || ':' || substr(`updated_at`, 23 + instr(substr(`updated_at`, 20), ' '), 2)) || substr(`updated_at`, 20, instr(substr(`updated_at`, 20), ' ') - 1) || '+00:00' WHERE `updated_at` IS NOT NULL AND instr(substr(`updated_at`, 20), ' ') > 0;
