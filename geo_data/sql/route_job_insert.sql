-- A queued routing job for a plan.
INSERT INTO route_jobs (county_code, plan_id, created_by, message)
VALUES (%(county_code)s, %(plan_id)s, %(actor)s, 'queued')
RETURNING id;
