-- Visit measures (repeat, joint, spared, planned, random-draw, code-shown, satisfaction): numerators and
-- denominators per group. Definitions: enforcement/measures.py, docs/measures.md.
-- group_by: none | township | r7 | r8 | r9 | month (visit_date's calendar month).
WITH v AS MATERIALIZED (
    SELECT v.id, v.enterprise_id, v.visit_date, v.departments, v.task_count, v.planned, v.from_draw, v.reason,
           v.code_scanned, v.rating,
           CASE %(group_by)s::text
               WHEN 'township' THEN v.township_code
               WHEN 'r7' THEN v.h3_r7::text
               WHEN 'r8' THEN v.h3_r8::text
               WHEN 'r9' THEN v.h3_r9::text
               WHEN 'month' THEN to_char(v.visit_date, 'YYYY-MM')
               ELSE '' END AS grp
    FROM visits v
    WHERE v.status = 'done'
      AND v.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR v.township_code = %(township_code)s::text)
      AND v.visit_date BETWEEN %(date_from)s::date AND %(date_to)s::date
      AND (%(cell_r7)s::bigint IS NULL OR v.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR v.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR v.h3_r9 = %(cell_r9)s::bigint)
      AND (%(department)s::text IS NULL OR %(department)s::text = ANY (v.departments))
      AND ((%(industry)s::text IS NULL AND %(risk)s::text IS NULL) OR EXISTS (
              SELECT 1 FROM enterprises e
              WHERE e.id = v.enterprise_id
                AND (%(industry)s::text IS NULL OR e.industry_code = %(industry)s::text)
                AND (%(risk)s::text IS NULL OR e.risk = %(risk)s::text)))
)
-- Earlier done visits that can make a visit of the period a repeat: same county, up to 30 days before.
, w AS (
    SELECT w.id, w.enterprise_id, w.visit_date, w.departments
    FROM visits w
    WHERE w.status = 'done' AND w.county_code = %(county_code)s
      AND w.visit_date BETWEEN %(date_from)s::date - %(repeat_days)s::int AND %(date_to)s::date
), rep AS (
    SELECT DISTINCT v.id
    FROM v JOIN w ON w.enterprise_id = v.enterprise_id
    WHERE w.visit_date BETWEEN v.visit_date - %(repeat_days)s::int AND v.visit_date
      AND (w.visit_date < v.visit_date OR w.id < v.id)
      AND NOT (v.departments <@ w.departments)
)
SELECT v.grp,
       count(*) AS visits,
       count(rep.id) AS repeats,
       count(*) FILTER (WHERE cardinality(v.departments) >= 2) AS joint,
       coalesce(sum(greatest(v.task_count, cardinality(v.departments))), 0) AS tasks,
       count(*) FILTER (WHERE v.planned) AS planned,
       count(*) FILTER (WHERE v.reason IN ('annual', 'random')) AS routine,
       count(*) FILTER (WHERE v.reason IN ('annual', 'random') AND v.from_draw) AS routine_drawn,
       count(*) FILTER (WHERE v.code_scanned) AS code_scanned,
       count(v.rating) AS rated,
       coalesce(sum(v.rating), 0) AS rating_sum
FROM v LEFT JOIN rep ON rep.id = v.id
GROUP BY v.grp
ORDER BY v.grp
