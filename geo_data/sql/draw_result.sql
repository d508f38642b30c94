-- The publishable result list of a draw (一公开): target, department, items, inspectors, draw id and seed.
SELECT dt.position, d.id AS draw_id, d.seed, d.created_at, e.name AS enterprise_name, e.uscc,
       dep.code AS department_code, dep.name AS department_name,
       (SELECT string_agg(it.name, '、' ORDER BY it.code) FROM inspection_items it WHERE it.code = ANY (d.items))
           AS items,
       (SELECT string_agg(i.name || '（' || i.badge_no || '）', '、' ORDER BY di.slot)
          FROM draw_inspectors di JOIN inspectors i ON i.id = di.inspector_id
         WHERE di.draw_id = d.id AND di.enterprise_id = dt.enterprise_id) AS inspectors,
       dt.enterprise_id, dt.stratum, dt.task_id
FROM draw_targets dt
JOIN draws d ON d.id = dt.draw_id
JOIN enterprises e ON e.id = dt.enterprise_id
JOIN departments dep ON dep.code = d.department_code
WHERE d.id = %(draw_id)s AND d.county_code = %(county_code)s
ORDER BY dt.position;
