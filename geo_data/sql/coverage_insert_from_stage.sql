-- Staged coverage cells into monitoring_coverage; re-importing the same file adds nothing.
INSERT INTO monitoring_coverage (cell, county_code, kind, source, valid_from, valid_to)
SELECT DISTINCT s.cell, %(county_code)s, %(kind)s, s.source, s.valid_from, s.valid_to
FROM coverage_stage s
ON CONFLICT (county_code, kind, source, cell, valid_from) DO NOTHING
