-- Approve a draft plan: its tasks become planned (visits) or remote (remote checks).
WITH p AS (
    UPDATE visit_plans SET status = 'approved', approved_by = %(actor)s, approved_at = now()
    WHERE id = %(plan_id)s AND county_code = %(county_code)s AND status = 'draft'
    RETURNING id
)
UPDATE inspection_tasks t
SET status = CASE WHEN pv.status = 'remote' THEN 'remote' ELSE 'planned' END
FROM plan_visit_tasks pt JOIN plan_visits pv ON pv.id = pt.plan_visit_id
WHERE pt.plan_id = (SELECT id FROM p) AND t.id = pt.task_id AND pv.status <> 'held';
