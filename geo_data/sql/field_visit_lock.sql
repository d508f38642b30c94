-- One of the team's visits, locked for its result.
SELECT v.id, v.county_code, v.township_code, v.team_id, v.status, v.visit_date, v.items
FROM visits v
WHERE v.id = %(visit_id)s AND v.county_code = %(county_code)s
FOR UPDATE
