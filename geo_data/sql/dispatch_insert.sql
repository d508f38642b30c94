-- A new active dispatch (the partial unique indexes refuse a busy team or an already dispatched incident).
INSERT INTO dispatches (county_code, township_code, incident_id, team_id, status, assigned_by, eta_minutes)
VALUES (%(county_code)s, %(township_code)s, %(incident_id)s, %(team_id)s, 'assigned', %(actor)s, %(eta)s)
RETURNING id, status, assigned_at
