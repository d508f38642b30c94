-- How many alerts the live layer's window [%(since)s, %(until)s) holds in scope (the map says so when it cuts).
SELECT count(*) AS n
FROM alerts a
WHERE a.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR a.township_code = %(township_code)s)
  AND a.observed_at >= %(since)s AND a.observed_at < %(until)s;
