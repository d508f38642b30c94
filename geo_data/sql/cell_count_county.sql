-- How many H3 cells (all resolutions) a county has.
SELECT count(*) AS n FROM h3_cells WHERE county_code = %(county_code)s
