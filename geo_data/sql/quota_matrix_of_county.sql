-- The quota matrix in force for a county: its own cells where set, the defaults elsewhere.
SELECT DISTINCT ON (risk, credit) risk, credit, max_visits, county_code IS NOT NULL AS overridden
FROM quota_matrix
WHERE county_code = %(county_code)s OR county_code IS NULL
ORDER BY risk, credit, county_code NULLS LAST;
