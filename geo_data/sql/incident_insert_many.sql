-- Open new incidents at their first alert's place; link the alert's enterprise (by USCC) or else the nearest
-- enterprise within link_m metres; SLA from the type's table for the severity.
INSERT INTO incidents (id, county_code, township_code, type_code, severity, status, first_seen, last_seen,
                       alert_count, sources, enterprise_id, geom, h3_r7, h3_r8, h3_r9, sla_due_at)
SELECT r.id, %(county_code)s, r.township_code, r.type_code, r.severity, 'open', r.first_seen, r.last_seen,
       r.alert_count, ARRAY(SELECT jsonb_array_elements_text(r.sources)),
       coalesce(r.enterprise_id,
                CASE WHEN ST_DWithin(near.geom::geography, p.geom::geography, %(link_m)s) THEN near.id END),
       p.geom, r.h3_r7, r.h3_r8, r.h3_r9,
       now() + make_interval(mins => coalesce((t.sla_minutes ->> r.severity)::int, 60))
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id bigint, type_code text, severity text, first_seen timestamptz,
        last_seen timestamptz, alert_count int, sources jsonb, township_code text, enterprise_id bigint,
        lng float8, lat float8, h3_r7 bigint, h3_r8 bigint, h3_r9 bigint)
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(r.lng, r.lat), 4326) AS geom) p
JOIN alert_types t ON t.code = r.type_code
LEFT JOIN LATERAL (
    SELECT e.id, e.geom FROM enterprises e
    WHERE e.geom && ST_Expand(p.geom, %(link_m)s / 60000.0) AND e.county_code = %(county_code)s
    ORDER BY e.geom <-> p.geom
    LIMIT 1
) near ON r.enterprise_id IS NULL
