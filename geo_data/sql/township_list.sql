-- Townships of a county (code, name), for filters.
SELECT code, name FROM townships WHERE county_code = %(county_code)s ORDER BY code
