-- The live device with this token hash, with its team's county (revoked devices are not found).
SELECT d.id, d.county_code, d.team_id, d.identifier, d.kind, d.prefix, t.township_code
FROM devices d JOIN teams t ON t.id = d.team_id
WHERE d.token_hash = %(token_hash)s AND d.revoked_at IS NULL
