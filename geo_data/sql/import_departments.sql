-- Departments an import may name (by code, Chinese name or English name).
SELECT code, name, name_en FROM departments ORDER BY code
