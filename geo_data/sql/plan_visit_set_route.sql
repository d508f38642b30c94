-- One visit's place in the routes (lead team and crew, day, position, on-site start) or why it is unassigned.
UPDATE plan_visits
SET team_id = %(team_id)s, crew_team_ids = %(crew_team_ids)s, visit_date = %(visit_date)s,
    route_seq = %(route_seq)s, start_min = %(start_min)s, unassigned_reason = %(unassigned_reason)s
WHERE id = %(id)s AND plan_id = %(plan_id)s;
