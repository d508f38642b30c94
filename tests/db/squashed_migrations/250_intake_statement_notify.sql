-- Alert intake throughput (issue 4).
--
-- 1. Live push per STATEMENT instead of per row. Migration 100 sent one pg_notify per inserted/updated alert or
--    incident: a batch of 5,000 alerts queued 5,000+ notices (written to the NOTIFY queue under its global lock
--    at commit, serialising every committer) and made each server's listener read 5,000 rows. Now one statement
--    sends one notice per (county, township) group and chunk of at most 300 ids, in the batch form that
--    geo_data.notify already uses and geo_data.push already understands:
--        {"kind": "alerts", "op": "insert", "id": [1, 2, ...], "count": 2, "county_code": ..., "township_code": ...}
--    A statement touching a single row still sends the singular form ({"kind": "alert", "id": 1, ...}), so rows
--    written straight through SQL reach open pages exactly as before. 300 ids of up to 19 digits stay well inside
--    PostgreSQL's 8,000-byte payload limit. Teams keep their row trigger (few rows, column-filtered).
-- 2. Indexes by enterprise for the coverage pre-aggregate (migration 405): coverage_touch_refresh looks up the
--    alerts and incidents of the touched enterprises in a month range; without an index by enterprise it scanned
--    every alert/incident of those months on each intake statement that linked an enterprise.
CREATE OR REPLACE FUNCTION gridcommand_notify_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT county_code, township_code, array_agg(id ORDER BY id) AS ids
        FROM (SELECT id, county_code, township_code,
                     (row_number() OVER (PARTITION BY county_code, township_code ORDER BY id) - 1) / 300 AS chunk
              FROM new_rows) r
        GROUP BY county_code, township_code, chunk
    LOOP
        IF cardinality(g.ids) = 1 THEN
            PERFORM pg_notify('gridcommand', json_build_object(
                'kind', TG_ARGV[0], 'op', lower(TG_OP), 'id', g.ids[1],
                'county_code', g.county_code, 'township_code', g.township_code)::text);
        ELSE
            PERFORM pg_notify('gridcommand', json_build_object(
                'kind', TG_ARGV[0] || 's', 'op', lower(TG_OP), 'id', g.ids, 'count', cardinality(g.ids),
                'county_code', g.county_code, 'township_code', g.township_code)::text);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

DROP TRIGGER alerts_notify ON alerts;
DROP TRIGGER incidents_notify ON incidents;
CREATE TRIGGER alerts_notify_ins AFTER INSERT ON alerts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridcommand_notify_rows('alert');
CREATE TRIGGER alerts_notify_upd AFTER UPDATE ON alerts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridcommand_notify_rows('alert');
CREATE TRIGGER incidents_notify_ins AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridcommand_notify_rows('incident');
CREATE TRIGGER incidents_notify_upd AFTER UPDATE ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridcommand_notify_rows('incident');

CREATE INDEX IF NOT EXISTS alerts_enterprise_observed_idx ON alerts (enterprise_id, observed_at)
    WHERE enterprise_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS incidents_enterprise_first_seen_idx ON incidents (enterprise_id, first_seen)
    WHERE enterprise_id IS NOT NULL;
