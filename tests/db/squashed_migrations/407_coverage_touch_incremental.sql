-- Cheaper upkeep of coverage_touch (migration 405) on the intake path.
--
-- Alerts and incidents only ever make an (enterprise, month) "remote": an INSERT of them can therefore add or
-- flag the rows it touches (an upsert) instead of recomputing them from the source tables; an UPDATE matters
-- only where a row's enterprise or local date changed (joining alerts to an incident, dispatching it or
-- closing it change neither), and those rows are recomputed as before. Visits keep the full recomputation
-- (their status and departments count too). Deletes recompute as before.
CREATE OR REPLACE FUNCTION coverage_touch_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ents bigint[];
    lo date;
    hi date;
    col text := CASE TG_TABLE_NAME WHEN 'alerts' THEN 'observed_at' ELSE 'first_seen' END;
    n_day text := format('(n.%I AT TIME ZONE ''Asia/Shanghai'')::date', col);
    o_day text := format('(o.%I AT TIME ZONE ''Asia/Shanghai'')::date', col);
BEGIN
    IF (TG_TABLE_NAME = 'visits' AND pg_trigger_depth() > 1) OR measures_deferred() THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'visits' THEN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT enterprise_id), min(visit_date), max(visit_date) INTO ents, lo, hi
            FROM new_rows WHERE enterprise_id IS NOT NULL;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT enterprise_id), min(visit_date), max(visit_date) INTO ents, lo, hi
            FROM old_rows WHERE enterprise_id IS NOT NULL;
        ELSE
            SELECT array_agg(DISTINCT enterprise_id), min(visit_date), max(visit_date) INTO ents, lo, hi
            FROM (SELECT enterprise_id, visit_date FROM new_rows UNION ALL
                  SELECT enterprise_id, visit_date FROM old_rows) x WHERE enterprise_id IS NOT NULL;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE format($q$
            INSERT INTO coverage_touch AS t (enterprise_id, month, county_code, township_code, industry_code, risk,
                                             h3_r7, h3_r8, h3_r9, remote, departments)
            SELECT e.id, s.month, e.county_code, e.township_code, e.industry_code, e.risk, e.h3_r7, e.h3_r8,
                   e.h3_r9, true, '{}'
            FROM (SELECT DISTINCT n.enterprise_id, date_trunc('month', %s)::date AS month
                  FROM new_rows n WHERE n.enterprise_id IS NOT NULL) s
            JOIN enterprises e ON e.id = s.enterprise_id
            ORDER BY e.id, s.month
            ON CONFLICT (enterprise_id, month) DO UPDATE SET remote = true WHERE NOT t.remote$q$, n_day);
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT array_agg(DISTINCT o.enterprise_id), min(%1$s), max(%1$s) FROM old_rows o'
                       ' WHERE o.enterprise_id IS NOT NULL', o_day) INTO ents, lo, hi;
    ELSE  -- UPDATE: only rows whose enterprise or local date changed, both their old and new place
        EXECUTE format($q$
            SELECT array_agg(DISTINCT x.ent), min(x.d), max(x.d)
            FROM (SELECT n.enterprise_id AS ne, o.enterprise_id AS oe, %s AS nd, %s AS od
                  FROM new_rows n JOIN old_rows o ON o.id = n.id) c
            CROSS JOIN LATERAL (VALUES (c.ne, c.nd), (c.oe, c.od)) AS x(ent, d)
            WHERE (c.ne, c.nd) IS DISTINCT FROM (c.oe, c.od) AND x.ent IS NOT NULL$q$, n_day, o_day)
        INTO ents, lo, hi;
    END IF;
    IF ents IS NOT NULL THEN
        PERFORM coverage_touch_refresh(ents, lo, hi);
    END IF;
    RETURN NULL;
END $$;
