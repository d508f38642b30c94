-- Real township polygons replace generated ones (generated = false), keyed by township code.
INSERT INTO townships (code, county_code, name, kind, geom, label_point, generated, source)
SELECT s.code, %(county_code)s, s.name, s.kind, s.geom, ST_PointOnSurface(s.geom), false, %(source)s
FROM township_stage s
ON CONFLICT (code) DO UPDATE
SET name = EXCLUDED.name, kind = EXCLUDED.kind, geom = EXCLUDED.geom, label_point = EXCLUDED.label_point,
    generated = false, source = EXCLUDED.source
