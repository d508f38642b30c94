-- Store alerts idempotently, already linked to their incidents: a (source, source_id) already stored is
-- skipped; returns the new rows only. The enterprise is looked up by USCC only where one was sent.
INSERT INTO alerts (county_code, township_code, source, source_id, source_kind, type_code, observed_at,
                    confidence, severity, evidence_url, description, enterprise_id, incident_id, geom,
                    h3_r7, h3_r8, h3_r9)
SELECT %(county_code)s, r.township_code, %(source)s, r.source_id, r.source_kind, r.type_code, r.observed_at,
       r.confidence, r.severity, r.evidence_url, r.description, e.id, r.incident_id,
       ST_SetSRID(ST_MakePoint(r.lng, r.lat), 4326), r.h3_r7, r.h3_r8, r.h3_r9
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(ord int, township_code text, source_id text, source_kind text,
        type_code text, observed_at timestamptz, confidence real, severity text, evidence_url text,
        description text, uscc text, lng float8, lat float8, h3_r7 bigint, h3_r8 bigint, h3_r9 bigint,
        incident_id bigint)
LEFT JOIN LATERAL (
    SELECT id FROM enterprises WHERE county_code = %(county_code)s AND uscc = r.uscc LIMIT 1
) e ON r.uscc IS NOT NULL
ORDER BY r.ord
ON CONFLICT (source, source_id) DO NOTHING
RETURNING id, source_id
