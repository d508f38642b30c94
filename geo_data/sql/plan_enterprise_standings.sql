-- What quotas depend on, per enterprise: grades, no-visit list, on-site visits this year (done visits, plus
-- visits of other approved plans in the year that have not been carried out yet).
SELECT e.id, e.risk, e.credit, e.no_visit, e.township_code,
       (SELECT count(*) FROM visits v
         WHERE v.enterprise_id = e.id AND v.status = 'done'
           AND v.visit_date >= %(year_start)s AND v.visit_date < %(year_end)s)
     + (SELECT count(*) FROM plan_visits pv JOIN visit_plans p ON p.id = pv.plan_id
         LEFT JOIN visits v ON v.id = pv.visit_id
         WHERE pv.enterprise_id = e.id AND p.status = 'approved' AND p.id <> %(plan_id)s
           AND pv.status = 'proposed' AND (v.id IS NULL OR v.status = 'planned')
           AND pv.earliest >= %(year_start)s AND pv.earliest < %(year_end)s) AS visits_this_year
FROM enterprises e
WHERE e.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s)
  AND e.id = ANY (%(ids)s::bigint[]);
