-- Active teams of the county that can carry out inspections, with their base.
SELECT id, name, kind, ST_X(base) AS lng, ST_Y(base) AS lat, qualifications, township_code
FROM teams
WHERE county_code = %(county_code)s AND active AND cardinality(qualifications) > 0
ORDER BY id;
