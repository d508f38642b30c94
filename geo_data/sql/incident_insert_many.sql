-- Open new incidents at their first alert's place, linked to the enterprise the caller found (the alert's USCC,
-- else the nearest enterprise within the link distance, see alert_locate.sql); SLA from the type's table for
-- the severity.
INSERT INTO incidents (id, county_code, township_code, type_code, severity, status, first_seen, last_seen,
                       alert_count, sources, enterprise_id, geom, h3_r7, h3_r8, h3_r9, sla_due_at)
SELECT r.id, %(county_code)s, r.township_code, r.type_code, r.severity, 'open', r.first_seen, r.last_seen,
       r.alert_count, ARRAY(SELECT jsonb_array_elements_text(r.sources)), r.enterprise_id,
       ST_SetSRID(ST_MakePoint(r.lng, r.lat), 4326), r.h3_r7, r.h3_r8, r.h3_r9,
       now() + make_interval(mins => coalesce((t.sla_minutes ->> r.severity)::int, 60))
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id bigint, type_code text, severity text, first_seen timestamptz,
        last_seen timestamptz, alert_count int, sources jsonb, township_code text, enterprise_id bigint,
        lng float8, lat float8, h3_r7 bigint, h3_r8 bigint, h3_r9 bigint)
JOIN alert_types t ON t.code = r.type_code
