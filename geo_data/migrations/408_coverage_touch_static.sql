-- The coverage_touch trigger of migration 407, same rules, written as static SQL: its EXECUTE format(...) was
-- planned afresh on every statement (~0.4 ms), and the intake fires it three times per transaction (alerts
-- inserted, incidents inserted, incidents updated) — a third of the database time of a small group of single
-- alerts. PL/pgSQL keeps the plans of static statements per trigger table, so each branch names its own date
-- column (alerts: observed_at; incidents: first_seen) and is planned once per connection.
CREATE OR REPLACE FUNCTION coverage_touch_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ents bigint[];
    lo date;
    hi date;
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
        -- Alerts and incidents only ever make an (enterprise, month) remote: add or flag those rows.
        IF TG_TABLE_NAME = 'alerts' THEN
            INSERT INTO coverage_touch AS t (enterprise_id, month, county_code, township_code, industry_code, risk,
                                             h3_r7, h3_r8, h3_r9, remote, departments)
            SELECT e.id, s.month, e.county_code, e.township_code, e.industry_code, e.risk, e.h3_r7, e.h3_r8,
                   e.h3_r9, true, '{}'
            FROM (SELECT DISTINCT n.enterprise_id,
                         date_trunc('month', (n.observed_at AT TIME ZONE 'Asia/Shanghai')::date)::date AS month
                  FROM new_rows n WHERE n.enterprise_id IS NOT NULL) s
            JOIN enterprises e ON e.id = s.enterprise_id
            ORDER BY e.id, s.month
            ON CONFLICT (enterprise_id, month) DO UPDATE SET remote = true WHERE NOT t.remote;
        ELSE
            INSERT INTO coverage_touch AS t (enterprise_id, month, county_code, township_code, industry_code, risk,
                                             h3_r7, h3_r8, h3_r9, remote, departments)
            SELECT e.id, s.month, e.county_code, e.township_code, e.industry_code, e.risk, e.h3_r7, e.h3_r8,
                   e.h3_r9, true, '{}'
            FROM (SELECT DISTINCT n.enterprise_id,
                         date_trunc('month', (n.first_seen AT TIME ZONE 'Asia/Shanghai')::date)::date AS month
                  FROM new_rows n WHERE n.enterprise_id IS NOT NULL) s
            JOIN enterprises e ON e.id = s.enterprise_id
            ORDER BY e.id, s.month
            ON CONFLICT (enterprise_id, month) DO UPDATE SET remote = true WHERE NOT t.remote;
        END IF;
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        IF TG_TABLE_NAME = 'alerts' THEN
            SELECT array_agg(DISTINCT o.enterprise_id), min((o.observed_at AT TIME ZONE 'Asia/Shanghai')::date),
                   max((o.observed_at AT TIME ZONE 'Asia/Shanghai')::date) INTO ents, lo, hi
            FROM old_rows o WHERE o.enterprise_id IS NOT NULL;
        ELSE
            SELECT array_agg(DISTINCT o.enterprise_id), min((o.first_seen AT TIME ZONE 'Asia/Shanghai')::date),
                   max((o.first_seen AT TIME ZONE 'Asia/Shanghai')::date) INTO ents, lo, hi
            FROM old_rows o WHERE o.enterprise_id IS NOT NULL;
        END IF;
    ELSIF TG_TABLE_NAME = 'alerts' THEN  -- UPDATE: only rows whose enterprise or local date changed
        SELECT array_agg(DISTINCT x.ent), min(x.d), max(x.d) INTO ents, lo, hi
        FROM (SELECT n.enterprise_id AS ne, o.enterprise_id AS oe,
                     (n.observed_at AT TIME ZONE 'Asia/Shanghai')::date AS nd,
                     (o.observed_at AT TIME ZONE 'Asia/Shanghai')::date AS od
              FROM new_rows n JOIN old_rows o ON o.id = n.id) c
        CROSS JOIN LATERAL (VALUES (c.ne, c.nd), (c.oe, c.od)) AS x(ent, d)
        WHERE (c.ne, c.nd) IS DISTINCT FROM (c.oe, c.od) AND x.ent IS NOT NULL;
    ELSE
        SELECT array_agg(DISTINCT x.ent), min(x.d), max(x.d) INTO ents, lo, hi
        FROM (SELECT n.enterprise_id AS ne, o.enterprise_id AS oe,
                     (n.first_seen AT TIME ZONE 'Asia/Shanghai')::date AS nd,
                     (o.first_seen AT TIME ZONE 'Asia/Shanghai')::date AS od
              FROM new_rows n JOIN old_rows o ON o.id = n.id) c
        CROSS JOIN LATERAL (VALUES (c.ne, c.nd), (c.oe, c.od)) AS x(ent, d)
        WHERE (c.ne, c.nd) IS DISTINCT FROM (c.oe, c.od) AND x.ent IS NOT NULL;
    END IF;
    IF ents IS NOT NULL THEN
        PERFORM coverage_touch_refresh(ents, lo, hi);
    END IF;
    RETURN NULL;
END $$;
