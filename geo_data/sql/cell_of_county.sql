-- Every H3 cell (all resolutions) a county has.
SELECT cell FROM h3_cells WHERE county_code = %(county_code)s
