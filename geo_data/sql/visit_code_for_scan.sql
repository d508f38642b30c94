-- A code with its enterprise's location, locked for the scan/rating update.
SELECT c.code, c.visit_id, c.visit_date, c.scanned_at, c.rating, c.county_code,
       ST_X(e.geom) AS lng, ST_Y(e.geom) AS lat, e.h3_r9
FROM visit_codes c JOIN enterprises e ON e.id = c.enterprise_id
WHERE c.code = %(code)s
FOR UPDATE OF c;
