-- The most recent dispatch of an incident, locked.
SELECT id, team_id, status FROM dispatches
WHERE incident_id = %(incident_id)s ORDER BY id DESC LIMIT 1
FOR UPDATE
