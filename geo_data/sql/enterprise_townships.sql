-- The county's township polygons as WKB (WGS-84), to place points in them.
SELECT code, ST_AsBinary(geom) AS wkb FROM townships WHERE county_code = %(county_code)s ORDER BY code
