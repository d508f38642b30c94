-- The alert intake API sends its live-push notices itself, right AFTER its transaction commits
-- (geo_data.notify.send_after_commit: notifying transactions commit one at a time in PostgreSQL, so the data
-- transaction must not notify). It marks its transaction with SET LOCAL gridcommand.notify_after_commit = 'on';
-- the statement triggers of migration 250 then stay silent. Every other writer is announced by the triggers.
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
