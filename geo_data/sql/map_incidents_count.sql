-- How many incidents the live layer would show in scope (same rule as map_incidents.sql, without the cut).
SELECT count(*) AS n
FROM incidents i
WHERE i.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s)
  AND (i.status IN ('open', 'dispatched') OR (i.status = 'resolved' AND i.last_seen >= %(since)s));
