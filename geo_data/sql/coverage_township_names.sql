-- Township codes and names of the scope.
SELECT t.code, t.name FROM townships t
WHERE t.county_code = %(county_code)s AND (%(township_code)s::text IS NULL OR t.code = %(township_code)s::text)
ORDER BY t.code
