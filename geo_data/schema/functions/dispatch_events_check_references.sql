-- The incident of each timeline event, checked once per statement (see check_intake_references).
CREATE OR REPLACE FUNCTION dispatch_events_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT n.v::text INTO missing FROM (SELECT DISTINCT incident_id AS v FROM new_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM incidents p WHERE p.id = n.v FOR KEY SHARE) l) LIMIT 1;
    IF FOUND THEN
        PERFORM reference_missing('dispatch_events', 'incident_id', 'incidents', missing);
    END IF;
    RETURN NULL;
END $$;
