-- Tasks now belong to the plan.
UPDATE inspection_tasks SET plan_id = %(plan_id)s
WHERE id = ANY (%(task_ids)s::bigint[]) AND county_code = %(county_code)s;
