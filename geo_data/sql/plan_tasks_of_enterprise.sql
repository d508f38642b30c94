-- The tasks of one enterprise in a plan, with the visit each belongs to.
SELECT t.id, t.enterprise_id, t.department_code, t.items, t.reason, t.earliest, t.latest, pt.plan_visit_id
FROM plan_visit_tasks pt
JOIN inspection_tasks t ON t.id = pt.task_id
WHERE pt.plan_id = %(plan_id)s AND t.enterprise_id = %(enterprise_id)s AND t.county_code = %(county_code)s
ORDER BY t.id;
