-- Merge staged cells into h3_cells for one county. A cell already owned by another county stays with it
-- (h3_cells is keyed by cell alone). Returns the cells inserted or updated.
INSERT INTO h3_cells (cell, res, county_code, geom)
SELECT s.cell, s.res, %(county_code)s, s.geom
FROM cell_stage s
ON CONFLICT (cell) DO UPDATE SET geom = EXCLUDED.geom, updated_at = now()
    WHERE h3_cells.county_code = EXCLUDED.county_code
