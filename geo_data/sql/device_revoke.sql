-- Revoke live devices by id, identifier or token prefix; returns what was revoked.
UPDATE devices SET revoked_at = now()
WHERE revoked_at IS NULL
  AND (id::text = %(ref)s OR identifier = %(ref)s OR prefix = %(ref)s)
RETURNING id, identifier, prefix, county_code, team_id
