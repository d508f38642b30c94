-- Active teams of a county with their position, base, kind and the place of their active dispatch (if any),
-- and who assigned it (the simulator advances only its own dispatches unless it plays every dispatcher).
SELECT tm.id, tm.kind, tm.township_code, tm.status,
       ST_X(coalesce(tm.position, tm.base)) AS lng, ST_Y(coalesce(tm.position, tm.base)) AS lat,
       ST_X(tm.base) AS base_lng, ST_Y(tm.base) AS base_lat,
       d.id AS dispatch_id, d.incident_id, d.status AS dispatch_status, d.assigned_by,
       ST_X(i.geom) AS target_lng, ST_Y(i.geom) AS target_lat
FROM teams tm
LEFT JOIN dispatches d ON d.team_id = tm.id AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site')
LEFT JOIN incidents i ON i.id = d.incident_id
WHERE tm.county_code = %(county_code)s AND tm.active
ORDER BY tm.id
