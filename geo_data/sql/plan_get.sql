-- One plan of the caller's county with its counts.
SELECT p.*,
       (SELECT count(*) FROM plan_visit_tasks t WHERE t.plan_id = p.id) AS tasks,
       (SELECT count(*) FROM plan_visits v WHERE v.plan_id = p.id) AS visits,
       (SELECT count(*) FROM plan_visits v WHERE v.plan_id = p.id AND cardinality(v.departments) >= 2) AS joint,
       (SELECT count(*) FROM plan_visits v WHERE v.plan_id = p.id AND v.status = 'held') AS held,
       (SELECT count(*) FROM plan_visits v WHERE v.plan_id = p.id AND v.status = 'remote') AS remote,
       (SELECT count(*) FROM plan_visits v WHERE v.plan_id = p.id AND v.quota_exceeded_allowed) AS exceeded,
       (SELECT count(*) FROM plan_visits v WHERE v.plan_id = p.id AND v.visit_date IS NOT NULL) AS routed,
       (SELECT count(*) FROM plan_visits v WHERE v.plan_id = p.id AND v.unassigned_reason <> '') AS unassigned
FROM visit_plans p
WHERE p.id = %(plan_id)s AND p.county_code = %(county_code)s;
