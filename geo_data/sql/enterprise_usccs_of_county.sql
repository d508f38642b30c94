-- Every USCC already registered in the county (to refuse duplicates before a load).
SELECT uscc FROM enterprises WHERE county_code = %(county_code)s
