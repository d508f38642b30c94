-- A routing job's message while it waits for a retry (status and progress stay as they were).
UPDATE route_jobs SET message = %(message)s WHERE id = %(job_id)s AND status NOT IN ('done', 'failed');
