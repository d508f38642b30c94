-- Bind a new position-reporting device to a team (only the token's SHA-256 and prefix are kept).
INSERT INTO devices (county_code, team_id, identifier, kind, label, token_hash, prefix, created_by)
SELECT t.county_code, t.id, %(identifier)s, %(kind)s, %(label)s, %(token_hash)s, %(prefix)s, %(created_by)s
FROM teams t WHERE t.id = %(team_id)s
ON CONFLICT (identifier) DO NOTHING
RETURNING id, county_code, team_id, identifier, kind, prefix
