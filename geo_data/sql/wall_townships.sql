-- Townships of the county for rotation on the wall (code, name, label point), scoped.
SELECT t.code, t.name,
       ST_X(coalesce(t.label_point, ST_PointOnSurface(t.geom))) AS lng,
       ST_Y(coalesce(t.label_point, ST_PointOnSurface(t.geom))) AS lat,
       ST_XMin(t.geom) AS min_lng, ST_YMin(t.geom) AS min_lat, ST_XMax(t.geom) AS max_lng, ST_YMax(t.geom) AS max_lat
FROM townships t
WHERE t.county_code = %(county_code)s AND (%(township_code)s::text IS NULL OR t.code = %(township_code)s)
ORDER BY t.code;
