-- The bounding box of the caller's area (own township, or the county) in WGS-84, and the county's name.
SELECT c.name AS county_name,
       ST_XMin(e.box) AS min_lng, ST_YMin(e.box) AS min_lat, ST_XMax(e.box) AS max_lng, ST_YMax(e.box) AS max_lat
FROM counties c
CROSS JOIN LATERAL (
    SELECT CASE WHEN %(township_code)s::text IS NULL THEN c.geom::box2d
                ELSE (SELECT ST_Extent(t.geom) FROM townships t
                      WHERE t.code = %(township_code)s AND t.county_code = c.code) END AS box
) e
WHERE c.code = %(county_code)s;
