-- Which enterprise and visit a task of the plan belongs to.
SELECT t.enterprise_id, pt.plan_visit_id
FROM plan_visit_tasks pt JOIN inspection_tasks t ON t.id = pt.task_id
WHERE pt.plan_id = %(plan_id)s AND pt.task_id = %(task_id)s AND t.county_code = %(county_code)s;
