-- Revoke one live device of a county (the admin page); no row when it is not the county's or already revoked.
UPDATE devices SET revoked_at = now()
WHERE id = %(device_id)s AND county_code = %(county_code)s AND revoked_at IS NULL
RETURNING id, identifier, team_id
