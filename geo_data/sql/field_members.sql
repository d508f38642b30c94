-- The field app's accounts (inspectors) of the teams a scope may see: a township dispatcher their own
-- township's teams only; county-wide scopes every team of the county. With when each last sent a position.
SELECT u.id, u.username, u.display_name, u.active, u.last_login_at, t.id AS team_id, t.name AS team_name,
       t.township_code, d.last_fix_at
FROM users u
JOIN teams t ON t.id = u.team_id
LEFT JOIN devices d ON d.identifier = 'field-user-' || u.id
WHERE u.role = 'inspector' AND u.county_code = %(county_code)s AND t.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR t.township_code = %(township_code)s)
ORDER BY t.name, u.username
