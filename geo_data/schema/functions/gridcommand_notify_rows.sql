-- Live push per statement for alerts and incidents: one notice per (county, township) and chunk of at most 300
-- ids, {"kind": "alerts", "op": "insert", "id": [1, 2, ...], "count": 2, ...}; a statement touching one row sends
-- the singular form ({"kind": "alert", "id": 1, ...}). 300 ids stay well inside the 8,000-byte payload limit.
-- The intake API sends its notices itself after commit (geo_data.notify.send_after_commit: notifying
-- transactions commit one at a time) and marks its transaction SET LOCAL gridcommand.notify_after_commit = 'on':
-- then this stays silent. Every other writer (imports, tests, SQL) is announced here.
CREATE OR REPLACE FUNCTION gridcommand_notify_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    g record;
BEGIN
    IF coalesce(current_setting('gridcommand.notify_after_commit', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
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
