-- Progress of a routing job.
UPDATE route_jobs
SET status = %(status)s, progress = %(progress)s, message = %(message)s,
    finished_at = CASE WHEN %(status)s IN ('done', 'failed') THEN now() ELSE finished_at END
WHERE id = %(job_id)s;
