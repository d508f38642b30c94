-- Inside a routing job's transaction: one run per plan at a time. FOR NO KEY UPDATE leaves the plan's key
-- free, so the planner can still queue another job of the plan meanwhile (route_jobs references it).
SELECT id FROM visit_plans WHERE id = %(plan_id)s AND county_code = %(county_code)s FOR NO KEY UPDATE;
