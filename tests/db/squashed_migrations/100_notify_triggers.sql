-- Live push: every insert/update of an alert, incident or team announces itself on channel 'gridcommand'
-- with the same small JSON the application's geo_data.notify sends:
--   {"kind": "alert|incident|team", "op": "insert|update", "id": 123, "county_code": "...", "township_code": ...}
-- Rows written straight through SQL (imports, tests, other tools) therefore reach open pages too. The browser
-- applies changes idempotently by (kind, id), so an extra notification from application code is harmless.
-- NOTIFY is transactional: listeners hear it only after COMMIT, and identical payloads within one
-- transaction are folded into one.
CREATE FUNCTION gridcommand_notify_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridcommand', json_build_object(
        'kind', TG_ARGV[0],
        'op', lower(TG_OP),
        'id', NEW.id,
        'county_code', NEW.county_code,
        'township_code', NEW.township_code)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER alerts_notify AFTER INSERT OR UPDATE ON alerts
    FOR EACH ROW EXECUTE FUNCTION gridcommand_notify_row('alert');
CREATE TRIGGER incidents_notify AFTER INSERT OR UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION gridcommand_notify_row('incident');
-- Team rows change often (positions); only changes a map shows are announced.
CREATE TRIGGER teams_notify AFTER INSERT OR UPDATE OF status, position, active ON teams
    FOR EACH ROW EXECUTE FUNCTION gridcommand_notify_row('team');
