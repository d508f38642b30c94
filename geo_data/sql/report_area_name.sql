-- Names of the county (and township, if given and inside the county) a report is about; no row if not found.
SELECT c.name AS county_name, t.name AS township_name
FROM counties c
LEFT JOIN townships t ON t.code = %(township_code)s::text AND t.county_code = c.code
WHERE c.code = %(county_code)s AND (%(township_code)s::text IS NULL OR t.code IS NOT NULL)
