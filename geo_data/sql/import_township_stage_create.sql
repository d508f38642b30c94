-- Per-transaction staging table for imported township polygons.
CREATE TEMP TABLE IF NOT EXISTS township_stage (
    code  text PRIMARY KEY,
    name  text NOT NULL,
    kind  text NOT NULL,
    geom  geometry(MultiPolygon, 4326) NOT NULL
) ON COMMIT DROP
