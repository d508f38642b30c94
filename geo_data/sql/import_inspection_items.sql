-- Inspection items an import may name (by code or name), with their department.
SELECT code, name, department_code FROM inspection_items ORDER BY code
