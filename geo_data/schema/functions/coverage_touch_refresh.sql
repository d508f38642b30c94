-- Recompute the coverage_touch rows of these enterprises for the calendar months (Asia/Shanghai) from lo to hi,
-- from the source tables. ON CONFLICT: two writers refreshing one enterprise-month at once both succeed (the
-- later one overwrites the row with its own recomputation).
CREATE OR REPLACE FUNCTION coverage_touch_refresh(ents bigint[], lo date, hi date) RETURNS void
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
    ON CONFLICT (enterprise_id, month, county_code) DO UPDATE
    SET county_code = EXCLUDED.county_code, township_code = EXCLUDED.township_code,
        industry_code = EXCLUDED.industry_code, risk = EXCLUDED.risk, h3_r7 = EXCLUDED.h3_r7,
        h3_r8 = EXCLUDED.h3_r8, h3_r9 = EXCLUDED.h3_r9, remote = EXCLUDED.remote,
        departments = EXCLUDED.departments;
END $$;
