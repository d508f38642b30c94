-- The county's township names (a draw preview counts the register and the drawn per township).
SELECT code, name FROM townships WHERE county_code = %(county_code)s;
