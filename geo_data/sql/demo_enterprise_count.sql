-- How many enterprises the county already has (the demo loads into an empty county only).
SELECT count(*) AS n FROM enterprises WHERE county_code = %(county_code)s;
