-- Add joined alerts to existing incidents: count, sources, first/last seen, max severity, tighter SLA. Only
-- incidents still open or dispatched: the caller compares the rows returned with the rows it sent. The caller
-- sends each incident's whole source list (sorted, distinct): it read the incident under the matching lock, and
-- only the intake changes sources.
UPDATE incidents i
SET alert_count = i.alert_count + r.added,
    first_seen = LEAST(i.first_seen, r.first_seen),
    last_seen = GREATEST(i.last_seen, r.last_seen),
    severity = r.severity,
    sources = ARRAY(SELECT jsonb_array_elements_text(r.sources)),
    sla_due_at = LEAST(i.sla_due_at,
                       i.created_at + make_interval(mins => coalesce((t.sla_minutes ->> r.severity)::int, 60)))
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id bigint, added int, severity text, first_seen timestamptz,
        last_seen timestamptz, sources jsonb)
JOIN alert_types t ON true
WHERE i.id = r.id AND t.code = i.type_code
  AND coalesce(i.status, '') IN ('open', 'dispatched')  -- written so: a bare status test lets the planner scan
                                                        -- every open incident through a partial index
RETURNING i.id, i.township_code
