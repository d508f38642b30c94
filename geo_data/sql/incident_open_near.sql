-- Open (or dispatched) incidents of the given types in the given res-9 cells seen since a time: the
-- candidates incoming alerts may join (the caller keeps only its exact (type, cell) pairs). Not locked: the
-- matching advisory locks keep other matchers away, and incident_update_many re-checks the status (an incident
-- closed meanwhile makes the intake start again).
SELECT id, type_code, h3_r9, first_seen, last_seen, severity, alert_count, sources
FROM incidents
WHERE h3_r9 = ANY(%(cells)s::bigint[])
  AND county_code = %(county_code)s
  AND type_code = ANY(%(types)s::text[])
  AND status IN ('open', 'dispatched')
  AND last_seen >= %(since)s
ORDER BY id
