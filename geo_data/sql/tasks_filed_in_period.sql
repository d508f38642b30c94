-- Filed tasks whose window touches the period, in the caller's scope, with what merging needs.
SELECT t.id, t.enterprise_id, t.department_code, t.items, t.reason, t.earliest, t.latest
FROM inspection_tasks t
JOIN enterprises e ON e.id = t.enterprise_id
WHERE t.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s)
  AND t.status IN ('filed', 'planned')
  AND t.plan_id IS NULL
  AND t.earliest <= %(period_end)s AND t.latest >= %(period_start)s
ORDER BY t.id;
