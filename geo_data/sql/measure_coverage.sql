-- Coverage per risk grade per group: enterprises in the filter, and those visited (done visit in the period,
-- of the filtered department if any) or remotely monitored (an alert or incident linked to them in the period,
-- or their H3 res-9 cell covered by monitoring_coverage valid during the period).
-- group_by month is not meaningful here (the register has no month): it groups as none.
WITH e AS (
    SELECT e.id, e.risk, e.h3_r9,
           CASE %(group_by)s::text
               WHEN 'township' THEN e.township_code
               WHEN 'r7' THEN e.h3_r7::text
               WHEN 'r8' THEN e.h3_r8::text
               WHEN 'r9' THEN e.h3_r9::text
               ELSE '' END AS grp
    FROM enterprises e
    WHERE e.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s::text)
      AND (%(cell_r7)s::bigint IS NULL OR e.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR e.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR e.h3_r9 = %(cell_r9)s::bigint)
      AND (%(industry)s::text IS NULL OR e.industry_code = %(industry)s::text)
      AND (%(risk)s::text IS NULL OR e.risk = %(risk)s::text)
), touched AS MATERIALIZED (
    SELECT v.enterprise_id FROM visits v
    WHERE v.status = 'done' AND v.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR v.township_code = %(township_code)s::text)
      AND v.visit_date BETWEEN %(date_from)s::date AND %(date_to)s::date
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
), flagged AS (
    SELECT e.grp, e.risk, (t.enterprise_id IS NOT NULL OR m.cell IS NOT NULL) AS covered
    FROM e
    LEFT JOIN touched t ON t.enterprise_id = e.id
    LEFT JOIN monitored m ON m.cell = e.h3_r9
)
SELECT f.grp,
       count(*) FILTER (WHERE f.risk = 'high') AS ent_high,
       count(*) FILTER (WHERE f.risk = 'elevated') AS ent_elevated,
       count(*) FILTER (WHERE f.risk = 'general') AS ent_general,
       count(*) FILTER (WHERE f.risk = 'low') AS ent_low,
       count(*) FILTER (WHERE f.risk = 'high' AND f.covered) AS covered_high,
       count(*) FILTER (WHERE f.risk = 'elevated' AND f.covered) AS covered_elevated,
       count(*) FILTER (WHERE f.risk = 'general' AND f.covered) AS covered_general,
       count(*) FILTER (WHERE f.risk = 'low' AND f.covered) AS covered_low
FROM flagged f
GROUP BY f.grp
ORDER BY f.grp
