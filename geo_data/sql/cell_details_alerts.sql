-- Recent alerts of one H3 cell, scoped, newest first.
SELECT a.id, a.source_kind, coalesce(t.name, a.type_code) AS type_name, coalesce(t.name_en, a.type_code) AS type_name_en,
       a.severity, a.observed_at
FROM alerts a LEFT JOIN alert_types t ON t.code = a.type_code
WHERE a.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR a.township_code = %(township_code)s)
  AND CASE %(res)s WHEN 7 THEN a.h3_r7 WHEN 8 THEN a.h3_r8 ELSE a.h3_r9 END = %(cell)s
ORDER BY a.observed_at DESC
LIMIT %(limit)s;
