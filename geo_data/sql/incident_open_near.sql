-- Open (or dispatched) incidents of the given types in the given res-9 cells seen since a time: the
-- candidates an incoming alert may join. Rows are locked so status changes wait for the matcher.
SELECT id, type_code, h3_r9, first_seen, last_seen, severity, alert_count, sources
FROM incidents
WHERE county_code = %(county_code)s
  AND type_code = ANY(%(types)s::text[])
  AND status IN ('open', 'dispatched')
  AND h3_r9 = ANY(%(cells)s::bigint[])
  AND last_seen >= %(since)s
ORDER BY id
FOR UPDATE
