-- After townships changed: every enterprise of the county goes to the township containing its point
-- (lowest code on a shared border); one in no township keeps the township of its res-9 cell.
WITH placed AS (
    SELECT e.id,
           coalesce((SELECT t.code FROM townships t
                      WHERE t.county_code = e.county_code AND ST_Intersects(t.geom, e.geom)
                      ORDER BY t.code LIMIT 1),
                    (SELECT c.township_code FROM h3_cells c WHERE c.cell = e.h3_r9)) AS code
    FROM enterprises e
    WHERE e.county_code = %(county_code)s
)
UPDATE enterprises e SET township_code = p.code
FROM placed p
WHERE e.id = p.id AND e.township_code IS DISTINCT FROM p.code
