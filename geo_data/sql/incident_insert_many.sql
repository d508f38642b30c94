-- Open new incidents at their first alert's place; link the nearest enterprise within link_m metres
-- (the alert's own USCC wins); SLA from the type's table for the severity.
INSERT INTO incidents (id, county_code, township_code, type_code, severity, status, first_seen, last_seen,
                       alert_count, sources, enterprise_id, geom, h3_r7, h3_r8, h3_r9, sla_due_at)
SELECT r.id, a.county_code, a.township_code, r.type_code, r.severity, 'open', r.first_seen, r.last_seen,
       r.alert_count, ARRAY(SELECT jsonb_array_elements_text(r.sources)),
       coalesce(a.enterprise_id,
                CASE WHEN ST_DWithin(near.geom::geography, a.geom::geography, %(link_m)s) THEN near.id END),
       a.geom, a.h3_r7, a.h3_r8, a.h3_r9,
       now() + make_interval(mins => coalesce((t.sla_minutes ->> r.severity)::int, 60))
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id bigint, anchor_alert bigint, type_code text, severity text,
        first_seen timestamptz, last_seen timestamptz, alert_count int, sources jsonb)
JOIN alerts a ON a.id = r.anchor_alert
JOIN alert_types t ON t.code = r.type_code
LEFT JOIN LATERAL (
    SELECT e.id, e.geom FROM enterprises e
    WHERE e.county_code = a.county_code
    ORDER BY e.geom <-> a.geom
    LIMIT 1
) near ON a.enterprise_id IS NULL
