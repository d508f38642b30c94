-- One H3 cell in scope: its pre-aggregated counts and township.
SELECT c.cell, c.res, c.township_code, t.name AS township_name, c.ent_total, c.ent_high, c.ent_elevated,
       c.ent_general, c.ent_low, c.visits, c.alerts, c.alerts_open
FROM h3_cells c
LEFT JOIN townships t ON t.code = c.township_code
WHERE c.cell = %(cell)s AND c.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR c.township_code = %(township_code)s);
