-- Active inspectors of the county (the pool; qualification is checked by the draw).
SELECT id, department_code, qualifications, team_id
FROM inspectors
WHERE county_code = %(county_code)s AND active
ORDER BY id;
