-- One alert for its details panel: what, when, where (township; the enterprise it names, else the nearest one
-- within 300 m, with its address and distance), description, evidence link and its incident.
SELECT a.id, a.county_code, a.township_code, tw.name AS township_name, a.source, a.source_kind, a.type_code,
       coalesce(t.name, a.type_code) AS type_name, coalesce(t.name_en, a.type_code) AS type_name_en,
       a.severity, a.observed_at, a.received_at, a.confidence, a.description, a.evidence_url,
       round(ST_X(a.geom)::numeric, 6)::float8 AS lng, round(ST_Y(a.geom)::numeric, 6)::float8 AS lat,
       a.incident_id, i.status AS incident_status, i.alert_count AS incident_alert_count,
       e.id AS enterprise_id, e.name AS enterprise_name, e.address AS enterprise_address,
       e.named AS enterprise_named, e.distance_m AS enterprise_distance_m
FROM alerts a
LEFT JOIN alert_types t ON t.code = a.type_code
LEFT JOIN townships tw ON tw.code = a.township_code
LEFT JOIN incidents i ON i.id = a.incident_id
LEFT JOIN LATERAL (
    (SELECT en.id, en.name, en.address, true AS named,
            round(ST_Distance(en.geom::geography, a.geom::geography))::int AS distance_m
     FROM enterprises en WHERE en.id = a.enterprise_id)
    UNION ALL
    (SELECT en.id, en.name, en.address, false,
            round(ST_Distance(en.geom::geography, a.geom::geography))::int
     FROM enterprises en
     WHERE a.enterprise_id IS NULL AND en.geom && ST_Expand(a.geom, 0.004)   -- ~400 m: the GiST index
       AND ST_DWithin(en.geom::geography, a.geom::geography, 300)
     ORDER BY en.geom <-> a.geom
     LIMIT 1)
    LIMIT 1
) e ON true
WHERE a.id = %(id)s;
