-- Departments for filter lists.
SELECT code, name, name_en FROM departments ORDER BY name
