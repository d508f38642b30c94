-- Append timeline events (JSON rows).
INSERT INTO dispatch_events (county_code, incident_id, dispatch_id, actor, event, note, detail)
SELECT %(county_code)s, r.incident_id, r.dispatch_id, %(actor)s, r.event, coalesce(r.note, ''),
       coalesce(r.detail, '{}'::jsonb)
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(incident_id bigint, dispatch_id bigint, event text, note text,
        detail jsonb)
