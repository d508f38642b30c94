-- Insert or replace one township's polygon (MultiPolygon 4326), kind, label point and provenance.
INSERT INTO townships (code, county_code, name, kind, geom, label_point, generated, source)
VALUES (%(code)s, %(county_code)s, %(name)s, %(kind)s, ST_Multi(ST_GeomFromEWKB(%(geom)s)),
        ST_GeomFromEWKB(%(label_point)s), %(generated)s, %(source)s)
ON CONFLICT (code) DO UPDATE
SET name = EXCLUDED.name, kind = EXCLUDED.kind, geom = EXCLUDED.geom, label_point = EXCLUDED.label_point,
    generated = EXCLUDED.generated, source = EXCLUDED.source;
