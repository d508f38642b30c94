-- Recent alerts of one H3 cell (given as its res-9 cells: geo_data.cells.res9_cells), scoped, newest first.
SELECT a.id, a.source_kind, coalesce(t.name, a.type_code) AS type_name, coalesce(t.name_en, a.type_code) AS type_name_en,
       a.severity, a.observed_at
FROM alerts a LEFT JOIN alert_types t ON t.code = a.type_code
WHERE a.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR a.township_code = %(township_code)s)
  AND a.h3_r9 = ANY (%(cells_r9)s::bigint[])
ORDER BY a.observed_at DESC
LIMIT %(limit)s;
