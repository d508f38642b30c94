-- How many enterprises a county has.
SELECT count(*) AS n FROM enterprises WHERE county_code = %(county_code)s
