-- The riskiest enterprises of one H3 cell (any resolution 7-9), scoped, top %(limit)s.
SELECT e.id, e.name, e.uscc, e.risk, e.credit
FROM enterprises e
WHERE e.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s)
  AND CASE %(res)s WHEN 7 THEN e.h3_r7 WHEN 8 THEN e.h3_r8 ELSE e.h3_r9 END = %(cell)s
ORDER BY CASE e.risk WHEN 'high' THEN 0 WHEN 'elevated' THEN 1 WHEN 'general' THEN 2 ELSE 3 END, e.credit DESC, e.id
LIMIT %(limit)s;
