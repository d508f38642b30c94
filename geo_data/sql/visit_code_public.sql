-- What the enterprise's page shows for a code: the visit's own inspectors, lead department, items with legal
-- basis, date and the scan/rating state; nothing of the enterprise or the team.
SELECT c.code, c.visit_date, c.scanned_at, c.rating, c.rated_at,
       ld.name AS lead_department, ld.name_en AS lead_department_en,
       (SELECT coalesce(json_agg(json_build_object('name', i.name, 'badge_no', i.badge_no, 'department', d.name,
                                                   'department_en', d.name_en) ORDER BY i.id), '[]'::json)
          FROM inspectors i JOIN departments d ON d.code = i.department_code
         WHERE i.id = ANY (c.inspector_ids)) AS inspectors,
       (SELECT coalesce(json_agg(json_build_object('name', it.name, 'legal_basis', it.legal_basis,
                                                   'department', d.name, 'department_en', d.name_en)
                                 ORDER BY it.code), '[]'::json)
          FROM inspection_items it JOIN departments d ON d.code = it.department_code
         WHERE it.code = ANY (c.items)) AS items
FROM visit_codes c
LEFT JOIN visits v ON v.id = c.visit_id
LEFT JOIN departments ld ON ld.code = v.lead_department
WHERE c.code = %(code)s
