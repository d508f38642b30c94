-- The county an import goes into: its name and outline as WKB (WGS-84).
SELECT code, name, ST_AsBinary(geom) AS wkb FROM counties WHERE code = %(county_code)s
