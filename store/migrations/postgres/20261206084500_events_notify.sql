-- Written by hand: the ent schema cannot describe a trigger.
-- A transaction that records events notifies "directory_events" with each
-- organization's id (domain.NotifyChannel): the database delivers it to
-- every server's listener on commit, never on rollback, and sends one per
-- distinct payload per transaction. The write path spends no statement on it.
CREATE FUNCTION "directory_events_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  org uuid;
BEGIN
  FOR org IN SELECT DISTINCT "organization_id" FROM new_rows LOOP
    PERFORM pg_notify('directory_events', org::text);
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER "events_notify" AFTER INSERT ON "events" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_events_notify"();
