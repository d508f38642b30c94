-- Enterprises in the view (bbox, WGS-84), scoped, at most %(limit)s rows, plus how many there are in all
-- (counted up to %(count_cap)s so a wide view stays cheap).
WITH hit AS (
    SELECT e.id, e.name, e.risk, e.credit, ST_X(e.geom) AS lng, ST_Y(e.geom) AS lat
    FROM enterprises e
    WHERE e.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s)
      AND e.geom && ST_MakeEnvelope(%(min_lng)s, %(min_lat)s, %(max_lng)s, %(max_lat)s, 4326)
    LIMIT %(count_cap)s
), total AS (SELECT count(*) AS n FROM hit)
SELECT h.id, h.name, h.risk, h.credit, round(h.lng::numeric, 6)::float8 AS lng,
       round(h.lat::numeric, 6)::float8 AS lat, t.n AS total
FROM hit h CROSS JOIN total t
ORDER BY CASE h.risk WHEN 'high' THEN 0 WHEN 'elevated' THEN 1 WHEN 'general' THEN 2 ELSE 3 END, h.id
LIMIT %(limit)s;
