-- The county's townships (code, name, whether generated), for name look-ups in imports.
SELECT code, name, generated FROM townships WHERE county_code = %(county_code)s ORDER BY code
