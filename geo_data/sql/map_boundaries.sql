-- County outline and township polygons in the caller's scope, simplified for display (GeoJSON text, 6 decimals).
SELECT 'county' AS kind, c.code, c.name, NULL::text AS county_code,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(c.geom, 0.0003), 6) AS geojson,
       ST_X(coalesce(c.label_point, ST_PointOnSurface(c.geom))) AS label_lng,
       ST_Y(coalesce(c.label_point, ST_PointOnSurface(c.geom))) AS label_lat
FROM counties c
WHERE c.code = %(county_code)s AND %(township_code)s::text IS NULL
UNION ALL
SELECT 'township', t.code, t.name, t.county_code,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(t.geom, 0.0002), 6),
       ST_X(coalesce(t.label_point, ST_PointOnSurface(t.geom))),
       ST_Y(coalesce(t.label_point, ST_PointOnSurface(t.geom)))
FROM townships t
WHERE t.county_code = %(county_code)s AND (%(township_code)s::text IS NULL OR t.code = %(township_code)s)
ORDER BY 1, 2;
