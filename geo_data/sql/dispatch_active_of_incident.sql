-- The active dispatch of an incident (if any), locked.
SELECT id, team_id, status FROM dispatches
WHERE incident_id = %(incident_id)s AND status IN ('assigned', 'accepted', 'en_route', 'on_site')
FOR UPDATE
