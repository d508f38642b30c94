-- Staged visit records become visits at their enterprise's place, township and H3 cells.
INSERT INTO visits (county_code, township_code, enterprise_id, visit_date, lead_department, departments, items,
                    status, reason, planned, task_count, code, code_scanned, result, rating, geom,
                    h3_r7, h3_r8, h3_r9)
SELECT e.county_code, e.township_code, e.id, s.visit_date, s.lead_department, s.departments, s.items,
       'done', 'annual', true, cardinality(s.departments), s.code, s.code_scanned, s.result, s.rating, e.geom,
       e.h3_r7, e.h3_r8, e.h3_r9
FROM visit_stage s
JOIN enterprises e ON e.id = s.enterprise_id AND e.county_code = %(county_code)s
