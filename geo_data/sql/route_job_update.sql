-- Progress of a routing job. A job that is done stays done: a late run (a retried job whose first run was
-- thought lost) cannot write over its result.
UPDATE route_jobs
SET status = %(status)s, progress = %(progress)s, message = %(message)s,
    finished_at = CASE WHEN %(status)s IN ('done', 'failed') THEN now() ELSE finished_at END
WHERE id = %(job_id)s AND status <> 'done';
