-- check_intake_references: first written in migration 254.
-- alerts and incidents (same column names): county, township, type; alerts also their incident. Each check: the
-- statement's distinct values, their referenced rows locked FOR KEY SHARE, the first value without one.
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
