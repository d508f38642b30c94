-- Coverage per risk grade per group: enterprises in the filter (from the enterprise_counts pre-aggregate,
-- migration 403; the register itself under an industry filter), and those covered: visited (a done visit in the
-- period, of the filtered department if any), remotely monitored (an alert or incident linked to them in the
-- period), or lying in an H3 res-9 cell of monitoring_coverage valid during the period. group_by month groups as
-- none (the register has no month).
-- One rule, two sources of the touched enterprises, chosen by %(monthly)s (both count the same thing; the tests
-- compare them):
--   monthly (a period of whole calendar months): the coverage_touch pre-aggregate (migration 405), one row per
--           enterprise and month with the enterprise's attributes copied;
--   live (any other period): the visits, alerts and incidents themselves, their ids joined to the register.
-- The branch not chosen is cut by a one-time filter on the parameter and reads nothing.
WITH touch_months AS NOT MATERIALIZED (   -- monthly: the filter's rows of coverage_touch
    SELECT t.enterprise_id, t.township_code, t.risk, t.h3_r7, t.h3_r8, t.h3_r9
    FROM coverage_touch t
    WHERE %(monthly)s::boolean AND t.county_code = %(county_code)s
      AND t.month BETWEEN %(date_from)s::date AND %(date_to)s::date
      AND (%(township_code)s::text IS NULL OR t.township_code = %(township_code)s::text)
      AND (%(cell_r7)s::bigint IS NULL OR t.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR t.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR t.h3_r9 = %(cell_r9)s::bigint)
      AND (%(industry)s::text IS NULL OR t.industry_code = %(industry)s::text)
      AND (%(risk)s::text IS NULL OR t.risk = %(risk)s::text)
      AND (%(department)s::text IS NULL OR t.remote OR %(department)s::text = ANY (t.departments))
), touch_live AS MATERIALIZED (   -- live: the ids of the enterprises visited, alerted or with an incident
    SELECT v.enterprise_id FROM visits v
    WHERE NOT %(monthly)s::boolean AND v.status = 'done' AND v.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR v.township_code = %(township_code)s::text)
      AND v.visit_date BETWEEN %(date_from)s::date AND %(date_to)s::date
      AND (%(cell_r7)s::bigint IS NULL OR v.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR v.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR v.h3_r9 = %(cell_r9)s::bigint)
      AND (%(department)s::text IS NULL OR %(department)s::text = ANY (v.departments))
    UNION
    SELECT a.enterprise_id FROM alerts a
    WHERE NOT %(monthly)s::boolean AND a.county_code = %(county_code)s AND a.enterprise_id IS NOT NULL
      AND a.observed_at >= %(ts_from)s AND a.observed_at < %(ts_to)s
    UNION
    SELECT i.enterprise_id FROM incidents i
    WHERE NOT %(monthly)s::boolean AND i.county_code = %(county_code)s AND i.enterprise_id IS NOT NULL
      AND i.first_seen >= %(ts_from)s AND i.first_seen < %(ts_to)s
), touched AS (   -- one row per enterprise touched in the filter, with the attributes it is grouped by
    SELECT * FROM touch_months WHERE %(single_month)s::boolean   -- a single month needs no de-duplication
    UNION ALL
    SELECT DISTINCT ON (enterprise_id) * FROM touch_months WHERE NOT %(single_month)s::boolean
    UNION ALL
    SELECT e.id, e.township_code, e.risk, e.h3_r7, e.h3_r8, e.h3_r9
    FROM (SELECT enterprise_id FROM touch_live ORDER BY enterprise_id) t
    CROSS JOIN LATERAL (SELECT e.* FROM enterprises e WHERE e.id = t.enterprise_id OFFSET 0) e  -- id order walk
    WHERE e.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s::text)
      AND (%(cell_r7)s::bigint IS NULL OR e.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR e.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR e.h3_r9 = %(cell_r9)s::bigint)
      AND (%(industry)s::text IS NULL OR e.industry_code = %(industry)s::text)
      AND (%(risk)s::text IS NULL OR e.risk = %(risk)s::text)
), monitored AS MATERIALIZED (
    SELECT DISTINCT m.cell FROM monitoring_coverage m
    WHERE m.county_code = %(county_code)s
      AND m.valid_from <= %(date_to)s::date AND (m.valid_to IS NULL OR m.valid_to >= %(date_from)s::date)
), src AS (   -- enterprises in the filter per group, risk and res-9 cell: pre-aggregate, or the register
    SELECT CASE %(group_by)s::text
               WHEN 'township' THEN c.township_code
               WHEN 'r7' THEN c.h3_r7::text
               WHEN 'r8' THEN c.h3_r8::text
               WHEN 'r9' THEN c.h3_r9::text
               ELSE '' END AS grp, c.risk, c.h3_r9, c.n
    FROM enterprise_counts c
    WHERE %(industry)s::text IS NULL AND c.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR c.township_code = %(township_code)s::text)
      AND (%(cell_r7)s::bigint IS NULL OR c.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR c.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR c.h3_r9 = %(cell_r9)s::bigint)
      AND (%(risk)s::text IS NULL OR c.risk = %(risk)s::text)
    UNION ALL
    SELECT CASE %(group_by)s::text
               WHEN 'township' THEN e.township_code
               WHEN 'r7' THEN e.h3_r7::text
               WHEN 'r8' THEN e.h3_r8::text
               WHEN 'r9' THEN e.h3_r9::text
               ELSE '' END, e.risk, e.h3_r9, 1
    FROM enterprises e
    WHERE %(industry)s::text IS NOT NULL AND e.county_code = %(county_code)s
      AND e.industry_code = %(industry)s::text
      AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s::text)
      AND (%(cell_r7)s::bigint IS NULL OR e.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR e.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR e.h3_r9 = %(cell_r9)s::bigint)
      AND (%(risk)s::text IS NULL OR e.risk = %(risk)s::text)
), tot AS (   -- all enterprises, and those in a monitored cell (covered whatever else happened)
    SELECT coalesce(s.grp, '') AS grp,
           sum(s.n) FILTER (WHERE s.risk = 'high') AS ent_high,
           sum(s.n) FILTER (WHERE s.risk = 'elevated') AS ent_elevated,
           sum(s.n) FILTER (WHERE s.risk = 'general') AS ent_general,
           sum(s.n) FILTER (WHERE s.risk = 'low') AS ent_low,
           sum(s.n) FILTER (WHERE s.risk = 'high' AND s.h3_r9 IN (SELECT cell FROM monitored)) AS mon_high,
           sum(s.n) FILTER (WHERE s.risk = 'elevated' AND s.h3_r9 IN (SELECT cell FROM monitored)) AS mon_elevated,
           sum(s.n) FILTER (WHERE s.risk = 'general' AND s.h3_r9 IN (SELECT cell FROM monitored)) AS mon_general,
           sum(s.n) FILTER (WHERE s.risk = 'low' AND s.h3_r9 IN (SELECT cell FROM monitored)) AS mon_low
    FROM src s
    GROUP BY 1
), vis AS (   -- visited / alerted enterprises in the filter outside monitored cells
    SELECT coalesce(CASE %(group_by)s::text
               WHEN 'township' THEN e.township_code
               WHEN 'r7' THEN e.h3_r7::text
               WHEN 'r8' THEN e.h3_r8::text
               WHEN 'r9' THEN e.h3_r9::text
               ELSE '' END, '') AS grp,
           count(*) FILTER (WHERE e.risk = 'high') AS vis_high,
           count(*) FILTER (WHERE e.risk = 'elevated') AS vis_elevated,
           count(*) FILTER (WHERE e.risk = 'general') AS vis_general,
           count(*) FILTER (WHERE e.risk = 'low') AS vis_low
    FROM touched e
    WHERE NOT EXISTS (SELECT 1 FROM monitored m WHERE m.cell = e.h3_r9)
    GROUP BY 1
)
SELECT t.grp,
       coalesce(t.ent_high, 0) AS ent_high, coalesce(t.ent_elevated, 0) AS ent_elevated,
       coalesce(t.ent_general, 0) AS ent_general, coalesce(t.ent_low, 0) AS ent_low,
       coalesce(t.mon_high, 0) + coalesce(v.vis_high, 0) AS covered_high,
       coalesce(t.mon_elevated, 0) + coalesce(v.vis_elevated, 0) AS covered_elevated,
       coalesce(t.mon_general, 0) + coalesce(v.vis_general, 0) AS covered_general,
       coalesce(t.mon_low, 0) + coalesce(v.vis_low, 0) AS covered_low
FROM tot t LEFT JOIN vis v ON v.grp = t.grp
ORDER BY t.grp
