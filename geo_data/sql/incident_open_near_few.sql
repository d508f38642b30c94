-- incident_open_near for a few (type, res-9 cell) pairs (single posts, small batches): one probe of the
-- (county, type, cell) index per pair. Same columns as incident_open_near (not locked either).
SELECT i.id, i.type_code, i.h3_r9, i.first_seen, i.last_seen, i.severity, i.alert_count, i.sources
FROM (SELECT DISTINCT type_code, cell FROM unnest(%(pair_types)s::text[], %(pair_cells)s::bigint[]) AS k(type_code, cell)) k
CROSS JOIN LATERAL (
    SELECT id, type_code, h3_r9, first_seen, last_seen, severity, alert_count, sources
    FROM incidents
    WHERE county_code = %(county_code)s AND type_code = k.type_code AND h3_r9 = k.cell
      AND status IN ('open', 'dispatched') AND last_seen >= %(since)s
    OFFSET 0  -- keeps the probe per pair whatever the statistics say (stale ones once chose a scan of every
              -- open incident, 20 ms a group, right after a burst of new incidents)
) i
ORDER BY i.id
