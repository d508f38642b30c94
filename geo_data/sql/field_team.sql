-- The inspector's team for the field app: name, status and live position (WGS-84).
SELECT t.id, t.county_code, t.township_code, t.name, t.status, t.active,
       ST_X(t.position) AS lng, ST_Y(t.position) AS lat, t.position_at
FROM teams t
WHERE t.id = %(team_id)s AND t.county_code = %(county_code)s
