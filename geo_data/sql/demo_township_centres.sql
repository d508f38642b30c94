-- Each township of the county with its label point (WGS-84), ordered by code: bases of township teams.
SELECT code, name, kind, ST_X(label_point) AS lng, ST_Y(label_point) AS lat
FROM townships WHERE county_code = %(county_code)s ORDER BY code;
