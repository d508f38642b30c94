-- Per-cell rates over a period for the cells listed in %(cells)s (one resolution %(res)s):
-- repeat-inspection rate = share of done on-site visits that came within 30 days after another department's
-- visit to the same enterprise (DOMAIN.md); coverage = share of the cell's enterprises visited in the period.
WITH v AS (
    SELECT CASE %(res)s WHEN 7 THEN v.h3_r7 WHEN 8 THEN v.h3_r8 ELSE v.h3_r9 END AS cell,
           v.enterprise_id,
           EXISTS (SELECT 1 FROM visits p
                   WHERE p.enterprise_id = v.enterprise_id AND p.status = 'done' AND p.id <> v.id
                     AND p.lead_department <> v.lead_department
                     AND p.visit_date BETWEEN v.visit_date - 30 AND v.visit_date
                     AND (p.visit_date < v.visit_date OR p.id < v.id)) AS repeat
    FROM visits v
    WHERE v.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR v.township_code = %(township_code)s)
      AND v.status = 'done' AND v.visit_date BETWEEN %(date_from)s AND %(date_to)s
      AND CASE %(res)s WHEN 7 THEN v.h3_r7 WHEN 8 THEN v.h3_r8 ELSE v.h3_r9 END = ANY (%(cells)s::bigint[])
)
SELECT cell, count(*) AS visits, count(*) FILTER (WHERE repeat) AS repeat_visits,
       count(DISTINCT enterprise_id) AS enterprises_visited
FROM v
GROUP BY cell;
