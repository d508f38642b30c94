-- The field app's own device row of an inspector (kind phone), bound to their current team: the phone's fixes go
-- through the same rule and unique (device, time) key as a tracker's. Its token is never shown (the app
-- authenticates with the login session), only a random hash is kept.
INSERT INTO devices (county_code, team_id, identifier, kind, label, token_hash, prefix, created_by)
VALUES (%(county_code)s, %(team_id)s, %(identifier)s, 'phone', %(label)s, %(token_hash)s, 'field', 'field app')
ON CONFLICT (identifier) DO UPDATE SET team_id = EXCLUDED.team_id, county_code = EXCLUDED.county_code
    WHERE devices.team_id IS DISTINCT FROM EXCLUDED.team_id
RETURNING id
