-- Written by hand (PostgreSQL only; SQLite has no equivalent): trigram
-- indexes that serve GraphQL's users(where: {query: ...}), the search box.
-- domain.Matching compiles it to case-insensitive substring tests of these
-- columns (LIKE on the folded user_name_key, ILIKE on the others, and
-- ILIKE on the emails' JSON text before the exact per-email test), each of
-- which a gin_trgm_ops index serves, so the planner ORs index scans rather
-- than reading every user of the organization. migrationgen keeps indexes
-- whose names end in _trgm (they are not in the ent schema).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "user_user_name_key_trgm" ON "users" USING gin ("user_name_key" gin_trgm_ops);
CREATE INDEX "user_display_name_trgm" ON "users" USING gin ("display_name" gin_trgm_ops);
CREATE INDEX "user_given_name_trgm" ON "users" USING gin ("given_name" gin_trgm_ops);
CREATE INDEX "user_family_name_trgm" ON "users" USING gin ("family_name" gin_trgm_ops);
CREATE INDEX "user_primary_email_trgm" ON "users" USING gin ("primary_email" gin_trgm_ops);
CREATE INDEX "user_emails_trgm" ON "users" USING gin (("emails"::text) gin_trgm_ops);
