-- The plan's visits with their enterprise, team and tasks (scoped to the caller's county / township), all of them
-- or one day's (a day's routes on the planner's map read only that day).
SELECT pv.id, pv.enterprise_id, e.name AS enterprise_name, e.uscc, e.address, e.risk, e.credit, e.no_visit,
       e.industry_code, pv.township_code, tw.name AS township_name,
       ST_X(e.geom) AS lng, ST_Y(e.geom) AS lat,
       pv.lead_department, pv.departments, pv.items, pv.reasons, pv.earliest, pv.latest, pv.status,
       pv.apart_reason, pv.quota_flag, pv.quota_alternative, pv.quota_exceeded_allowed,
       pv.team_id, tm.name AS team_name, pv.crew_team_ids, pv.visit_date, pv.route_seq, pv.start_min, pv.unassigned_reason,
       pv.code,
       (SELECT array_agg(pt.task_id ORDER BY pt.task_id) FROM plan_visit_tasks pt
         WHERE pt.plan_visit_id = pv.id) AS task_ids
FROM plan_visits pv
JOIN enterprises e ON e.id = pv.enterprise_id
LEFT JOIN townships tw ON tw.code = pv.township_code
LEFT JOIN teams tm ON tm.id = pv.team_id
WHERE pv.plan_id = %(plan_id)s AND pv.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR pv.township_code = %(township_code)s)
  AND (%(day)s::date IS NULL OR pv.visit_date = %(day)s)
ORDER BY pv.visit_date NULLS LAST, pv.team_id NULLS LAST, pv.route_seq NULLS LAST, pv.id;
