-- Enterprises in scope whose USCC starts with the text or whose name starts with / contains it;
-- exact USCC first, then name prefixes, then other matches, each by name.
-- %(prefix)s and %(contains)s are LIKE patterns with wildcards in the text already escaped.
SELECT e.id, e.county_code, e.township_code, e.uscc, e.name, e.address, e.industry_code, e.risk, e.credit,
       ST_X(e.geom) AS lng, ST_Y(e.geom) AS lat, e.h3_r9
FROM enterprises e
WHERE e.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s)
  AND (e.uscc LIKE upper(%(prefix)s) OR e.name LIKE %(prefix)s OR e.name LIKE %(contains)s)
ORDER BY (e.uscc = upper(%(text)s)) DESC, (e.name LIKE %(prefix)s) DESC, length(e.name), e.name, e.id
LIMIT %(limit)s
