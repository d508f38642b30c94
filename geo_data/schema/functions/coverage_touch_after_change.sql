-- Keeps coverage_touch current after a statement on visits, alerts or incidents (triggers *_touch_ins/upd/del).
-- Static SQL (plans kept per trigger table; an EXECUTE format(...) was planned afresh each statement, ~0.4 ms,
-- three times per intake transaction). Visits recompute their (enterprise, month) rows; alerts and incidents
-- only ever make a month remote, so an INSERT upserts, and an UPDATE recomputes only the rows whose enterprise
-- or local date changed (joining an incident, dispatching or closing it change neither).
CREATE OR REPLACE FUNCTION coverage_touch_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ents bigint[];
    days date[];
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
        IF ents IS NOT NULL THEN
            PERFORM coverage_touch_refresh(ents, lo, hi);
        END IF;
        RETURN NULL;
    END IF;

    -- Alerts and incidents: the (enterprise, local date) pairs that count — inserted rows, deleted rows, or for
    -- an UPDATE both places of each row whose enterprise or date changed (joining alerts to an incident,
    -- dispatching or closing it change neither).
    IF TG_OP = 'INSERT' AND TG_TABLE_NAME = 'alerts' THEN
        SELECT array_agg(n.enterprise_id), array_agg((n.observed_at AT TIME ZONE 'Asia/Shanghai')::date)
        INTO ents, days FROM new_rows n WHERE n.enterprise_id IS NOT NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.enterprise_id), array_agg((n.first_seen AT TIME ZONE 'Asia/Shanghai')::date)
        INTO ents, days FROM new_rows n WHERE n.enterprise_id IS NOT NULL;
    ELSIF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'alerts' THEN
        SELECT array_agg(o.enterprise_id), array_agg((o.observed_at AT TIME ZONE 'Asia/Shanghai')::date)
        INTO ents, days FROM old_rows o WHERE o.enterprise_id IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(o.enterprise_id), array_agg((o.first_seen AT TIME ZONE 'Asia/Shanghai')::date)
        INTO ents, days FROM old_rows o WHERE o.enterprise_id IS NOT NULL;
    ELSIF TG_TABLE_NAME = 'alerts' THEN
        SELECT array_agg(x.ent), array_agg(x.d) INTO ents, days
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        CROSS JOIN LATERAL (VALUES (n.enterprise_id, (n.observed_at AT TIME ZONE 'Asia/Shanghai')::date),
                                   (o.enterprise_id, (o.observed_at AT TIME ZONE 'Asia/Shanghai')::date)) AS x(ent, d)
        WHERE (n.enterprise_id, (n.observed_at AT TIME ZONE 'Asia/Shanghai')::date)
              IS DISTINCT FROM (o.enterprise_id, (o.observed_at AT TIME ZONE 'Asia/Shanghai')::date)
          AND x.ent IS NOT NULL;
    ELSE
        SELECT array_agg(x.ent), array_agg(x.d) INTO ents, days
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        CROSS JOIN LATERAL (VALUES (n.enterprise_id, (n.first_seen AT TIME ZONE 'Asia/Shanghai')::date),
                                   (o.enterprise_id, (o.first_seen AT TIME ZONE 'Asia/Shanghai')::date)) AS x(ent, d)
        WHERE (n.enterprise_id, (n.first_seen AT TIME ZONE 'Asia/Shanghai')::date)
              IS DISTINCT FROM (o.enterprise_id, (o.first_seen AT TIME ZONE 'Asia/Shanghai')::date)
          AND x.ent IS NOT NULL;
    END IF;
    IF ents IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        -- Alerts and incidents only ever make an (enterprise, month) remote: add or flag those rows.
        INSERT INTO coverage_touch AS t (enterprise_id, month, county_code, township_code, industry_code, risk,
                                         h3_r7, h3_r8, h3_r9, remote, departments)
        SELECT e.id, s.month, e.county_code, e.township_code, e.industry_code, e.risk, e.h3_r7, e.h3_r8,
               e.h3_r9, true, '{}'
        FROM (SELECT DISTINCT u.ent, date_trunc('month', u.d)::date AS month FROM unnest(ents, days) AS u(ent, d)) s
        JOIN enterprises e ON e.id = s.ent
        ORDER BY e.id, s.month
        ON CONFLICT (enterprise_id, month, county_code) DO UPDATE SET remote = true WHERE NOT t.remote;
    ELSE
        SELECT array_agg(DISTINCT u.ent), min(u.d), max(u.d) INTO ents, lo, hi FROM unnest(ents, days) AS u(ent, d);
        PERFORM coverage_touch_refresh(ents, lo, hi);
    END IF;
    RETURN NULL;
END $$;
