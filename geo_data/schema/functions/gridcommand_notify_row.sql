-- Live push for team rows (trigger teams_notify): each insert/update a map shows announces itself on channel
-- 'gridcommand' with the small JSON geo_data.notify sends:
--   {"kind": "team", "op": "insert|update", "id": 123, "county_code": "...", "township_code": ...}
-- NOTIFY is transactional: listeners hear it only after COMMIT, identical payloads of a transaction fold into one.
CREATE OR REPLACE FUNCTION gridcommand_notify_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridcommand', json_build_object(
        'kind', TG_ARGV[0],
        'op', lower(TG_OP),
        'id', NEW.id,
        'county_code', NEW.county_code,
        'township_code', NEW.township_code)::text);
    RETURN NULL;
END $$;
