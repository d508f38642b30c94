-- A routing job of the caller's county (latest of a plan when job_id is NULL).
SELECT id, plan_id, status, progress, message, created_by, created_at, finished_at
FROM route_jobs
WHERE county_code = %(county_code)s
  AND (id = %(job_id)s OR (%(job_id)s::bigint IS NULL AND plan_id = %(plan_id)s))
ORDER BY created_at DESC, id DESC
LIMIT 1;
