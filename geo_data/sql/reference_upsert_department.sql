-- Insert or refresh one enforcement department (执法部门).
INSERT INTO departments (code, name, name_en) VALUES (%(code)s, %(name)s, %(name_en)s)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en;
