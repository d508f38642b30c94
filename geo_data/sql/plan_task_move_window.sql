-- Move a task's window (the planner's edit).
UPDATE inspection_tasks SET earliest = %(earliest)s, latest = %(latest)s
WHERE id = %(task_id)s AND county_code = %(county_code)s AND plan_id = %(plan_id)s;
