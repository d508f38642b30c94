-- Visit measures (repeat, joint, spared, planned, random-draw, code-shown, satisfaction): numerators and
-- denominators per group. Definitions: enforcement/measures.py, docs/measures.md. The repeat rule is kept per
-- visit in visits.is_repeat (migration 401, visits_repeat_refresh); an earlier visit may lie before the period.
-- group_by: none | township | r7 | r8 | r9 | month (visit_date's calendar month).
WITH v AS (
    SELECT v.departments, v.task_count, v.planned, v.from_draw, v.reason,
           v.code_scanned, v.rating, v.is_repeat,
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
SELECT v.grp,
       count(*) AS visits,
       count(*) FILTER (WHERE v.is_repeat) AS repeats,
       count(*) FILTER (WHERE cardinality(v.departments) >= 2) AS joint,
       coalesce(sum(greatest(v.task_count, cardinality(v.departments))), 0) AS tasks,
       count(*) FILTER (WHERE v.planned) AS planned,
       count(*) FILTER (WHERE v.reason IN ('annual', 'random')) AS routine,
       count(*) FILTER (WHERE v.reason IN ('annual', 'random') AND v.from_draw) AS routine_drawn,
       count(*) FILTER (WHERE v.code_scanned) AS code_scanned,
       count(v.rating) AS rated,
       coalesce(sum(v.rating), 0) AS rating_sum
FROM v
GROUP BY v.grp
ORDER BY v.grp
