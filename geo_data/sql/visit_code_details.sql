-- Everything shown for a code: enterprise, team, inspectors, items with legal basis (caller's county).
SELECT c.code, c.county_code, c.visit_date, c.scanned_at, c.rating, c.rated_at, c.visit_id,
       e.id AS enterprise_id, e.name AS enterprise_name, e.uscc, e.address, e.township_code,
       ST_X(e.geom) AS lng, ST_Y(e.geom) AS lat, e.h3_r9,
       tm.name AS team_name, v.lead_department, ld.name AS lead_department_name, v.departments,
       (SELECT coalesce(json_agg(json_build_object('name', i.name, 'badge_no', i.badge_no,
                                                   'department', d.name) ORDER BY i.id), '[]'::json)
          FROM inspectors i JOIN departments d ON d.code = i.department_code
         WHERE i.id = ANY (c.inspector_ids)) AS inspectors,
       (SELECT coalesce(json_agg(json_build_object('code', it.code, 'name', it.name, 'legal_basis',
                                                   it.legal_basis, 'department', d.name) ORDER BY it.code),
                        '[]'::json)
          FROM inspection_items it JOIN departments d ON d.code = it.department_code
         WHERE it.code = ANY (c.items)) AS items
FROM visit_codes c
JOIN enterprises e ON e.id = c.enterprise_id
LEFT JOIN teams tm ON tm.id = c.team_id
LEFT JOIN visits v ON v.id = c.visit_id
LEFT JOIN departments ld ON ld.code = v.lead_department
WHERE c.code = %(code)s
  AND (%(county_code)s::text IS NULL OR c.county_code = %(county_code)s);
