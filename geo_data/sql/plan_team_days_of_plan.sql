-- Team-days of a routed plan with the team's base (for the map).
SELECT d.team_id, tm.name AS team_name, d.crew_team_ids, d.visit_date, d.depart_min, d.return_min, d.travel_min, d.work_min,
       d.stops, ST_X(tm.base) AS base_lng, ST_Y(tm.base) AS base_lat
FROM plan_team_days d
JOIN teams tm ON tm.id = d.team_id
JOIN visit_plans p ON p.id = d.plan_id
WHERE d.plan_id = %(plan_id)s AND p.county_code = %(county_code)s
ORDER BY d.visit_date, d.team_id;
