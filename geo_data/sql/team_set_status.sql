-- Set a team's status.
UPDATE teams SET status = %(status)s WHERE id = %(id)s RETURNING id, county_code, township_code
