-- Monthly pre-aggregate for coverage: one row per enterprise and calendar month (Asia/Shanghai) in which it had a
-- done visit (departments listed) or a linked alert / incident (remote), with the enterprise's attributes
-- copied so a month-aligned coverage count is one index-only scan. Kept current by statement-level triggers on
-- visits, alerts, incidents and enterprises that recompute the affected (enterprise, month) rows from the
-- source tables. measure_coverage_months.sql reads it; non-aligned periods use measure_coverage.sql.
CREATE TABLE coverage_touch (
    enterprise_id bigint NOT NULL,
    month         date NOT NULL CHECK (extract(day FROM month) = 1),
    county_code   text NOT NULL,
    township_code text,
    industry_code text,
    risk          text NOT NULL,
    h3_r7         bigint NOT NULL,
    h3_r8         bigint NOT NULL,
    h3_r9         bigint NOT NULL,
    remote        boolean NOT NULL,
    departments   text[] NOT NULL,
    PRIMARY KEY (enterprise_id, month)
);
CREATE INDEX coverage_touch_county_month_idx ON coverage_touch (county_code, month)
    INCLUDE (enterprise_id, township_code, industry_code, risk, h3_r7, h3_r8, h3_r9, remote, departments);
CREATE INDEX coverage_touch_h3_r7_idx ON coverage_touch (h3_r7);
CREATE INDEX coverage_touch_h3_r8_idx ON coverage_touch (h3_r8);
CREATE INDEX coverage_touch_h3_r9_idx ON coverage_touch (h3_r9);

-- ON CONFLICT: two writers refreshing one enterprise-month at once both succeed (the later one overwrites
-- the row with its own recomputation from the source tables).
CREATE FUNCTION coverage_touch_refresh(ents bigint[], lo date, hi date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m_lo date := date_trunc('month', lo)::date;
    m_next date := (date_trunc('month', hi) + interval '1 month')::date;
    t_lo timestamptz := m_lo::timestamp AT TIME ZONE 'Asia/Shanghai';
    t_next timestamptz := m_next::timestamp AT TIME ZONE 'Asia/Shanghai';
BEGIN
    DELETE FROM coverage_touch WHERE enterprise_id = ANY (ents) AND month >= m_lo AND month < m_next;
    INSERT INTO coverage_touch (enterprise_id, month, county_code, township_code, industry_code, risk,
                                h3_r7, h3_r8, h3_r9, remote, departments)
    SELECT e.id, s.month, e.county_code, e.township_code, e.industry_code, e.risk, e.h3_r7, e.h3_r8, e.h3_r9,
           bool_or(s.remote), coalesce(array_agg(DISTINCT s.dept) FILTER (WHERE s.dept IS NOT NULL), '{}')
    FROM (
        SELECT v.enterprise_id, date_trunc('month', v.visit_date)::date AS month, false AS remote,
               unnest(v.departments) AS dept
        FROM visits v
        WHERE v.enterprise_id = ANY (ents) AND v.status = 'done' AND v.visit_date >= m_lo AND v.visit_date < m_next
        UNION ALL
        SELECT a.enterprise_id, date_trunc('month', a.observed_at AT TIME ZONE 'Asia/Shanghai')::date, true, NULL
        FROM alerts a
        WHERE a.enterprise_id = ANY (ents) AND a.observed_at >= t_lo AND a.observed_at < t_next
        UNION ALL
        SELECT i.enterprise_id, date_trunc('month', i.first_seen AT TIME ZONE 'Asia/Shanghai')::date, true, NULL
        FROM incidents i
        WHERE i.enterprise_id = ANY (ents) AND i.first_seen >= t_lo AND i.first_seen < t_next
    ) s
    JOIN enterprises e ON e.id = s.enterprise_id
    GROUP BY e.id, s.month
    ON CONFLICT (enterprise_id, month) DO UPDATE
    SET county_code = EXCLUDED.county_code, township_code = EXCLUDED.township_code,
        industry_code = EXCLUDED.industry_code, risk = EXCLUDED.risk, h3_r7 = EXCLUDED.h3_r7,
        h3_r8 = EXCLUDED.h3_r8, h3_r9 = EXCLUDED.h3_r9, remote = EXCLUDED.remote,
        departments = EXCLUDED.departments;
END $$;

-- One trigger function for the three sources: (enterprise, local date) of old and new rows.
CREATE FUNCTION coverage_touch_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ents bigint[];
    lo date;
    hi date;
    expr text := CASE TG_TABLE_NAME
        WHEN 'visits' THEN 'visit_date'
        WHEN 'alerts' THEN '(observed_at AT TIME ZONE ''Asia/Shanghai'')::date'
        ELSE '(first_seen AT TIME ZONE ''Asia/Shanghai'')::date' END;
    src text;
BEGIN
    IF TG_TABLE_NAME = 'visits' AND pg_trigger_depth() > 1 THEN  -- the repeat flag's own UPDATE of visits
        RETURN NULL;
    END IF;
    src := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT enterprise_id, %s AS d FROM new_rows', expr)
        WHEN 'DELETE' THEN format('SELECT enterprise_id, %s AS d FROM old_rows', expr)
        ELSE format('SELECT enterprise_id, %1$s AS d FROM new_rows UNION ALL SELECT enterprise_id, %1$s FROM old_rows',
                    expr) END;
    EXECUTE format('SELECT array_agg(DISTINCT enterprise_id), min(d), max(d) FROM (%s) x WHERE enterprise_id IS NOT NULL',
                   src) INTO ents, lo, hi;
    IF ents IS NOT NULL THEN
        PERFORM coverage_touch_refresh(ents, lo, hi);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER visits_touch_ins AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE TRIGGER visits_touch_upd AFTER UPDATE ON visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE TRIGGER visits_touch_del AFTER DELETE ON visits REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE TRIGGER alerts_touch_ins AFTER INSERT ON alerts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE TRIGGER alerts_touch_upd AFTER UPDATE ON alerts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE TRIGGER alerts_touch_del AFTER DELETE ON alerts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE TRIGGER incidents_touch_ins AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE TRIGGER incidents_touch_upd AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE TRIGGER incidents_touch_del AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();

-- The register's attributes follow the enterprise.
CREATE FUNCTION coverage_touch_after_enterprise() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM coverage_touch t USING old_rows o WHERE t.enterprise_id = o.id;
    ELSE
        UPDATE coverage_touch t
        SET county_code = n.county_code, township_code = n.township_code, industry_code = n.industry_code,
            risk = n.risk, h3_r7 = n.h3_r7, h3_r8 = n.h3_r8, h3_r9 = n.h3_r9
        FROM new_rows n
        WHERE t.enterprise_id = n.id
          AND (t.county_code, t.township_code, t.industry_code, t.risk, t.h3_r7, t.h3_r8, t.h3_r9)
              IS DISTINCT FROM (n.county_code, n.township_code, n.industry_code, n.risk, n.h3_r7, n.h3_r8, n.h3_r9);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER enterprises_touch_upd AFTER UPDATE ON enterprises REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_enterprise();
CREATE TRIGGER enterprises_touch_del AFTER DELETE ON enterprises REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_enterprise();

-- Backfill from what is already recorded.
SELECT coverage_touch_refresh(ARRAY(SELECT id FROM enterprises), d.lo, d.hi)
FROM (SELECT least(min(v.lo), min(a.lo), min(i.lo)) AS lo, greatest(max(v.hi), max(a.hi), max(i.hi)) AS hi
      FROM (SELECT min(visit_date) AS lo, max(visit_date) AS hi FROM visits) v,
           (SELECT min((observed_at AT TIME ZONE 'Asia/Shanghai')::date) AS lo,
                   max((observed_at AT TIME ZONE 'Asia/Shanghai')::date) AS hi FROM alerts) a,
           (SELECT min((first_seen AT TIME ZONE 'Asia/Shanghai')::date) AS lo,
                   max((first_seen AT TIME ZONE 'Asia/Shanghai')::date) AS hi FROM incidents) i) d
WHERE d.lo IS NOT NULL;
