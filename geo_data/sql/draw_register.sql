-- The register a 双随机 draw is made from, in canonical order (ORDER BY id): enterprises of the county not on
-- the no-visit list, optionally limited to townships / industries.
SELECT e.id, e.risk, e.credit, coalesce(e.industry_code, '-') AS industry, coalesce(e.township_code, '-') AS township
FROM enterprises e
WHERE e.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s)
  AND NOT e.no_visit
  AND (%(townships)s::text[] IS NULL OR e.township_code = ANY (%(townships)s::text[]))
  AND (%(industries)s::text[] IS NULL OR e.industry_code = ANY (%(industries)s::text[]))
ORDER BY e.id;
