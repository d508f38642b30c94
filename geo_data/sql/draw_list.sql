-- Draws of the caller's county, newest first.
SELECT d.id, d.department_code, dep.name AS department_name, dep.name_en AS department_name_en, d.items, d.period_start, d.period_end, d.seed,
       d.register_size, d.target_count, d.created_by, d.created_at
FROM draws d JOIN departments dep ON dep.code = d.department_code
WHERE d.county_code = %(county_code)s
ORDER BY d.created_at DESC, d.id DESC
LIMIT %(limit)s;
