-- A per-transaction staging table for H3 cells (cell id, resolution, township, outline) before they are merged.
CREATE TEMP TABLE IF NOT EXISTS cell_stage (
    cell          bigint PRIMARY KEY,
    res           smallint NOT NULL,
    township_code text,
    geom          geometry(Polygon, 4326) NOT NULL
) ON COMMIT DROP
