-- Open (or dispatched) incidents seen since a time at the given (type, res-9 cell) pairs (parallel arrays):
-- the candidates incoming alerts may join. For a batch the pairs number tens of thousands: one hash join of the
-- pairs against the county's open incidents (incident_open_near_few probes per pair instead). Not locked: the
-- matching advisory locks keep other matchers away, and incident_update_many re-checks the status (an incident
-- closed meanwhile makes the intake start again).
SELECT i.id, i.type_code, i.h3_r9, i.first_seen, i.last_seen, i.severity, i.alert_count, i.sources
FROM incidents i
JOIN unnest(%(pair_types)s::text[], %(pair_cells)s::bigint[]) AS k(type_code, cell)  -- distinct pairs (the caller's)
  ON k.type_code = i.type_code AND k.cell = i.h3_r9
WHERE i.county_code = %(county_code)s
  AND i.status IN ('open', 'dispatched')
  AND i.last_seen >= %(since)s
ORDER BY i.id
