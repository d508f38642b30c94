-- A team of the county that may take a dispatch (active, not resting).
SELECT id, county_code, township_code, name, status, active FROM teams
WHERE id = %(team_id)s AND county_code = %(county_code)s
