-- Store alerts idempotently, already linked to their incidents: a (source, source_id) already stored is
-- skipped; returns the new rows only. The enterprise is looked up by USCC only where one was sent. The same
-- statement appends the timeline events of the incidents these alerts went to: 'created' for those this intake
-- opened (%(opened)s), 'alert_joined' (note "+n") for the others; detail: the new alerts' ids, in order.
WITH ins AS (
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
    RETURNING id, source_id, incident_id
), events AS (
    INSERT INTO dispatch_events (county_code, incident_id, actor, event, note, detail)
    SELECT %(county_code)s, ins.incident_id, %(actor)s,
           CASE WHEN ins.incident_id = ANY(%(opened)s::bigint[]) THEN 'created' ELSE 'alert_joined' END,
           CASE WHEN ins.incident_id = ANY(%(opened)s::bigint[]) THEN '' ELSE '+' || count(*) END,
           jsonb_build_object('alerts', jsonb_agg(ins.id ORDER BY ins.id))
    FROM ins
    WHERE ins.incident_id IS NOT NULL
    GROUP BY ins.incident_id
    ORDER BY ins.incident_id
)
SELECT id, source_id FROM ins
