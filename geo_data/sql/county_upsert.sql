-- Insert or refresh a county's outline (MultiPolygon 4326) and label point.
INSERT INTO counties (code, name, city_name, geom, label_point, source)
VALUES (%(code)s, %(name)s, %(city_name)s, ST_Multi(ST_GeomFromEWKB(%(geom)s)),
        ST_GeomFromEWKB(%(label_point)s), %(source)s)
ON CONFLICT (code) DO UPDATE
SET name = EXCLUDED.name, city_name = EXCLUDED.city_name, geom = EXCLUDED.geom,
    label_point = EXCLUDED.label_point, source = EXCLUDED.source;
