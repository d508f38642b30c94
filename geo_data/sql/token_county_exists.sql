-- Whether a county exists (token creation).
SELECT code FROM counties WHERE code = %(county_code)s
