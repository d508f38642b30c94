-- High and elevated risk enterprises in the view, scoped, at most %(limit)s (uses the partial GiST index).
SELECT e.id, e.name, e.risk, ST_X(e.geom) AS lng, ST_Y(e.geom) AS lat   -- rounded by layers.geojson
FROM enterprises e
WHERE e.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s)
  AND e.geom && ST_MakeEnvelope(%(min_lng)s, %(min_lat)s, %(max_lng)s, %(max_lat)s, 4326)
  AND e.risk IN ('high', 'elevated')
LIMIT %(limit)s;
