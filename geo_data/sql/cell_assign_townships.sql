-- Give every cell of a county (or only the cells listed, when %(cells)s is not NULL) its township:
-- the township containing the cell's centre; for a border cell whose centre is outside every township,
-- the township it overlaps most; failing that, the nearest township.
WITH target AS (
    SELECT c.cell, c.geom, ST_Centroid(c.geom) AS centre
    FROM h3_cells c
    WHERE c.county_code = %(county_code)s
      AND (%(cells)s::bigint[] IS NULL OR c.cell = ANY (%(cells)s::bigint[]))
), by_centre AS (
    SELECT t.cell,
           (SELECT tw.code FROM townships tw
             WHERE tw.county_code = %(county_code)s AND ST_Intersects(tw.geom, t.centre)
             ORDER BY tw.code LIMIT 1) AS code
    FROM target t
), resolved AS (
    SELECT b.cell,
           coalesce(b.code,
                    (SELECT tw.code FROM townships tw
                      WHERE tw.county_code = %(county_code)s AND ST_Intersects(tw.geom, t.geom)
                      ORDER BY ST_Area(ST_Intersection(tw.geom, t.geom)) DESC, tw.code LIMIT 1),
                    (SELECT tw.code FROM townships tw
                      WHERE tw.county_code = %(county_code)s
                      ORDER BY tw.geom <-> t.centre, tw.code LIMIT 1)) AS code
    FROM by_centre b JOIN target t USING (cell)
)
UPDATE h3_cells c
SET township_code = r.code, updated_at = now()
FROM resolved r
WHERE c.cell = r.cell AND c.township_code IS DISTINCT FROM r.code
