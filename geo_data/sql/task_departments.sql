-- Departments with their inspection items (for checking imported tasks): code, names, item codes/names.
SELECT d.code, d.name, d.name_en,
       coalesce(array_agg(i.code ORDER BY i.code) FILTER (WHERE i.code IS NOT NULL), '{}') AS item_codes,
       coalesce(array_agg(i.name ORDER BY i.code) FILTER (WHERE i.code IS NOT NULL), '{}') AS item_names
FROM departments d
LEFT JOIN inspection_items i ON i.department_code = d.code
GROUP BY d.code, d.name, d.name_en
ORDER BY d.code;
