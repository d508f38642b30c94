-- Industries for filter lists.
SELECT code, name, name_en FROM industries ORDER BY name
