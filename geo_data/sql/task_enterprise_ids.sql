-- Enterprise ids by USCC within the caller's county (and township, for township-scoped callers).
SELECT uscc, id
FROM enterprises
WHERE county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR township_code = %(township_code)s)
  AND uscc = ANY (%(usccs)s::text[]);
