-- Township outlines of the scope as GeoJSON geometry (WGS-84), simplified for display and export.
SELECT t.code, t.name, ST_AsGeoJSON(ST_SimplifyPreserveTopology(t.geom, 0.0003), 6)::jsonb AS geojson
FROM townships t
WHERE t.county_code = %(county_code)s AND (%(township_code)s::text IS NULL OR t.code = %(township_code)s::text)
ORDER BY t.code
