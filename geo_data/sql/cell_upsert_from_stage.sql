-- Merge staged cells into h3_cells for one county: new cells are inserted with outline and township; a cell
-- the county already has only takes a changed township. A cell owned by another county stays with it
-- (h3_cells is keyed by cell alone). Returns the rows inserted or changed.
INSERT INTO h3_cells (cell, res, county_code, township_code, geom)
SELECT s.cell, s.res, %(county_code)s, s.township_code, s.geom
FROM cell_stage s
ON CONFLICT (cell) DO UPDATE SET township_code = EXCLUDED.township_code, updated_at = now()
    WHERE h3_cells.county_code = EXCLUDED.county_code
      AND h3_cells.township_code IS DISTINCT FROM EXCLUDED.township_code
