-- The county outline as GeoJSON (WGS-84), to cover it with H3 cells.
SELECT ST_AsGeoJSON(geom) AS geojson FROM counties WHERE code = %(county_code)s
