-- The references of alerts and incidents (same column names), checked once per statement instead of once per row
-- (a foreign key costs a look-up and a KEY SHARE lock per row and key: ~200 ms for a batch of 5,000 alerts):
-- county, township, type; alerts also their incident. Each check: the statement's distinct values, their
-- referenced rows locked FOR KEY SHARE as a foreign key would, the first value without one raised as
-- foreign_key_violation (23503) under the old constraint's name. Not covered: TRUNCATE ... CASCADE.
CREATE OR REPLACE FUNCTION check_intake_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT n.v INTO missing FROM (SELECT DISTINCT county_code AS v FROM new_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM counties p WHERE p.code = n.v FOR KEY SHARE) l) LIMIT 1;
    IF FOUND THEN
        PERFORM reference_missing(TG_TABLE_NAME, 'county_code', 'counties', missing);
    END IF;
    SELECT n.v INTO missing FROM (SELECT DISTINCT township_code AS v FROM new_rows WHERE township_code IS NOT NULL) n
    WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM townships p WHERE p.code = n.v FOR KEY SHARE) l) LIMIT 1;
    IF FOUND THEN
        PERFORM reference_missing(TG_TABLE_NAME, 'township_code', 'townships', missing);
    END IF;
    SELECT n.v INTO missing FROM (SELECT DISTINCT type_code AS v FROM new_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM alert_types p WHERE p.code = n.v FOR KEY SHARE) l) LIMIT 1;
    IF FOUND THEN
        PERFORM reference_missing(TG_TABLE_NAME, 'type_code', 'alert_types', missing);
    END IF;
    IF TG_TABLE_NAME = 'alerts' THEN
        SELECT n.v::text INTO missing FROM (SELECT DISTINCT incident_id AS v FROM new_rows WHERE incident_id IS NOT NULL) n
        WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM incidents p WHERE p.id = n.v FOR KEY SHARE) l) LIMIT 1;
        IF FOUND THEN
            PERFORM reference_missing('alerts', 'incident_id', 'incidents', missing);
        END IF;
    END IF;
    RETURN NULL;
END $$;
