-- Plans of the caller's county, newest first.
SELECT id, period_start, period_end, status, task_count, visit_count, created_by, created_at, approved_at
FROM visit_plans
WHERE county_code = %(county_code)s
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s;
