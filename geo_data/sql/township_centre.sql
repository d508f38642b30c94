-- Centre and bounds of a township (or of the county when no township is given), WGS-84.
SELECT ST_Y(ST_Centroid(g)) AS lat, ST_X(ST_Centroid(g)) AS lng,
       ST_XMin(g) AS min_lng, ST_YMin(g) AS min_lat, ST_XMax(g) AS max_lng, ST_YMax(g) AS max_lat
FROM (SELECT coalesce((SELECT geom FROM townships WHERE code = %(township_code)s),
                      (SELECT geom FROM counties WHERE code = %(county_code)s)) AS g) s
WHERE g IS NOT NULL
