-- The county's enterprises by USCC (id and H3 cells), to attach imported visits to them.
SELECT uscc, id, h3_r7, h3_r8, h3_r9 FROM enterprises WHERE county_code = %(county_code)s
