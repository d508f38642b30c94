-- Devices (optionally of one county) with their team, newest first.
SELECT d.id, d.identifier, d.kind, d.label, d.prefix, d.county_code, d.team_id, t.name AS team_name,
       d.created_at, d.revoked_at, d.last_fix_at
FROM devices d JOIN teams t ON t.id = d.team_id
WHERE %(county_code)s::text IS NULL OR d.county_code = %(county_code)s
ORDER BY d.id DESC
