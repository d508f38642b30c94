-- A team-day summary of the routed plan.
INSERT INTO plan_team_days (plan_id, team_id, visit_date, depart_min, return_min, travel_min, work_min, stops)
VALUES (%(plan_id)s, %(team_id)s, %(visit_date)s, %(depart_min)s, %(return_min)s, %(travel_min)s,
        %(work_min)s, %(stops)s);
