-- Insert or refresh one industry (行业) with its business peak hours.
INSERT INTO industries (code, name, name_en, busy_windows)
VALUES (%(code)s, %(name)s, %(name_en)s, %(busy_windows)s::jsonb)
ON CONFLICT (code) DO UPDATE
SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, busy_windows = EXCLUDED.busy_windows;
