-- One incident for its details panel: what, where (township, enterprise or the nearest one within 300 m),
-- its SLA clock, and its latest dispatch with the team.
SELECT i.id, i.county_code, i.township_code, tw.name AS township_name, i.type_code,
       coalesce(t.name, i.type_code) AS type_name, coalesce(t.name_en, i.type_code) AS type_name_en,
       i.severity, i.status, i.first_seen, i.last_seen, i.alert_count, i.sources, i.sla_due_at, i.escalated,
       i.on_site_at, i.closed_at, i.close_reason,
       round(ST_X(i.geom)::numeric, 6)::float8 AS lng, round(ST_Y(i.geom)::numeric, 6)::float8 AS lat,
       e.name AS enterprise_name, e.address AS enterprise_address, e.named AS enterprise_named,
       e.distance_m AS enterprise_distance_m,
       d.id AS dispatch_id, d.status AS dispatch_status, d.assigned_at, d.eta_minutes,
       tm.id AS team_id, tm.name AS team_name
FROM incidents i
LEFT JOIN alert_types t ON t.code = i.type_code
LEFT JOIN townships tw ON tw.code = i.township_code
LEFT JOIN LATERAL (
    (SELECT en.name, en.address, true AS named,
            round(ST_Distance(en.geom::geography, i.geom::geography))::int AS distance_m
     FROM enterprises en WHERE en.id = i.enterprise_id)
    UNION ALL
    (SELECT en.name, en.address, false,
            round(ST_Distance(en.geom::geography, i.geom::geography))::int
     FROM enterprises en
     WHERE i.enterprise_id IS NULL AND en.geom && ST_Expand(i.geom, 0.004)   -- ~400 m: the GiST index
       AND ST_DWithin(en.geom::geography, i.geom::geography, 300)
     ORDER BY en.geom <-> i.geom
     LIMIT 1)
    LIMIT 1
) e ON true
LEFT JOIN LATERAL (
    SELECT * FROM dispatches dd WHERE dd.incident_id = i.id ORDER BY dd.assigned_at DESC, dd.id DESC LIMIT 1
) d ON true
LEFT JOIN teams tm ON tm.id = d.team_id
WHERE i.id = %(id)s;
