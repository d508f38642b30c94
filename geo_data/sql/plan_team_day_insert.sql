-- A team-day summary of the routed plan (team_id: the crew's lead).
INSERT INTO plan_team_days (plan_id, county_code, team_id, crew_team_ids, visit_date, depart_min, return_min,
                            travel_min, work_min, stops)
SELECT %(plan_id)s, p.county_code, %(team_id)s, %(crew_team_ids)s, %(visit_date)s, %(depart_min)s, %(return_min)s,
       %(travel_min)s, %(work_min)s, %(stops)s
FROM visit_plans p WHERE p.id = %(plan_id)s;
