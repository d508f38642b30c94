-- A random sample of a county's enterprises (for the alert simulator to place realistic alerts near, and for its
-- teams' patrol waypoints inside their own township).
SELECT id, industry_code, township_code, ST_X(geom) AS lng, ST_Y(geom) AS lat
FROM enterprises
WHERE county_code = %(county_code)s
ORDER BY random()
LIMIT %(n)s
