-- Coverage per risk grade per group: enterprises in the filter (from the enterprise_counts pre-aggregate,
-- migration 401), and those visited (done visit in the period, of the filtered department if any) or remotely
-- monitored (an alert or incident linked to them in the period, or their H3 res-9 cell covered by
-- monitoring_coverage valid during the period). group_by month groups as none (the register has no month).
WITH touched AS MATERIALIZED (
    SELECT v.enterprise_id FROM visits v
    WHERE v.status = 'done' AND v.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR v.township_code = %(township_code)s::text)
      AND v.visit_date BETWEEN %(date_from)s::date AND %(date_to)s::date
      AND (%(cell_r7)s::bigint IS NULL OR v.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR v.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR v.h3_r9 = %(cell_r9)s::bigint)
      AND (%(department)s::text IS NULL OR %(department)s::text = ANY (v.departments))
    UNION
    SELECT a.enterprise_id FROM alerts a
    WHERE a.county_code = %(county_code)s AND a.enterprise_id IS NOT NULL
      AND a.observed_at >= %(ts_from)s AND a.observed_at < %(ts_to)s
    UNION
    SELECT i.enterprise_id FROM incidents i
    WHERE i.county_code = %(county_code)s AND i.enterprise_id IS NOT NULL
      AND i.first_seen >= %(ts_from)s AND i.first_seen < %(ts_to)s
), monitored AS MATERIALIZED (
    SELECT DISTINCT m.cell FROM monitoring_coverage m
    WHERE m.county_code = %(county_code)s
      AND m.valid_from <= %(date_to)s::date AND (m.valid_to IS NULL OR m.valid_to >= %(date_from)s::date)
), covered AS (
    SELECT t.enterprise_id AS id FROM touched t
    UNION
    SELECT e.id FROM monitored m JOIN enterprises e ON e.h3_r9 = m.cell AND e.county_code = %(county_code)s
), covered_in AS (
    SELECT e.risk,
           CASE %(group_by)s::text
               WHEN 'township' THEN e.township_code
               WHEN 'r7' THEN e.h3_r7::text
               WHEN 'r8' THEN e.h3_r8::text
               WHEN 'r9' THEN e.h3_r9::text
               ELSE '' END AS grp
    FROM covered c JOIN enterprises e ON e.id = c.id
    WHERE (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s::text)
      AND (%(cell_r7)s::bigint IS NULL OR e.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR e.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR e.h3_r9 = %(cell_r9)s::bigint)
      AND (%(industry)s::text IS NULL OR e.industry_code = %(industry)s::text)
      AND (%(risk)s::text IS NULL OR e.risk = %(risk)s::text)
), cov AS (
    SELECT coalesce(grp, '') AS grp,
           count(*) FILTER (WHERE risk = 'high') AS covered_high,
           count(*) FILTER (WHERE risk = 'elevated') AS covered_elevated,
           count(*) FILTER (WHERE risk = 'general') AS covered_general,
           count(*) FILTER (WHERE risk = 'low') AS covered_low
    FROM covered_in GROUP BY 1
), tot AS (
    SELECT coalesce(CASE %(group_by)s::text
               WHEN 'township' THEN c.township_code
               WHEN 'r7' THEN c.h3_r7::text
               WHEN 'r8' THEN c.h3_r8::text
               WHEN 'r9' THEN c.h3_r9::text
               ELSE '' END, '') AS grp,
           coalesce(sum(c.n) FILTER (WHERE c.risk = 'high'), 0) AS ent_high,
           coalesce(sum(c.n) FILTER (WHERE c.risk = 'elevated'), 0) AS ent_elevated,
           coalesce(sum(c.n) FILTER (WHERE c.risk = 'general'), 0) AS ent_general,
           coalesce(sum(c.n) FILTER (WHERE c.risk = 'low'), 0) AS ent_low
    FROM enterprise_counts c
    WHERE c.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR c.township_code = %(township_code)s::text)
      AND (%(cell_r7)s::bigint IS NULL OR c.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR c.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR c.h3_r9 = %(cell_r9)s::bigint)
      AND (%(industry)s::text IS NULL OR c.industry_code = %(industry)s::text)
      AND (%(risk)s::text IS NULL OR c.risk = %(risk)s::text)
    GROUP BY 1
)
SELECT t.grp, t.ent_high, t.ent_elevated, t.ent_general, t.ent_low,
       coalesce(c.covered_high, 0) AS covered_high, coalesce(c.covered_elevated, 0) AS covered_elevated,
       coalesce(c.covered_general, 0) AS covered_general, coalesce(c.covered_low, 0) AS covered_low
FROM tot t LEFT JOIN cov c ON c.grp = t.grp
ORDER BY t.grp
