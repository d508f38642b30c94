-- A team's track points between two instants (caller's scope), oldest first.
SELECT p.at, ST_X(p.geom) AS lng, ST_Y(p.geom) AS lat, p.source, p.flag, p.speed_kmh, p.accuracy_m,
       d.identifier AS device
FROM team_positions p
JOIN teams t ON t.id = p.team_id
LEFT JOIN devices d ON d.id = p.device_id
WHERE p.team_id = %(team_id)s AND p.at >= %(since)s AND p.at < %(until)s
  AND t.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR t.township_code = %(township_code)s OR t.township_code IS NULL)
ORDER BY p.at, p.id
LIMIT %(limit)s
