-- The team's visits of one day in route order (the routed plan's sequence, else planned start, else id), with
-- the enterprise, its place (WGS-84), the code for 亮码, the items and any result taken in the field.
SELECT v.id, v.code, v.status, v.visit_date, v.lead_department, v.code_scanned, v.scanned_at,
       e.name AS enterprise_name, e.address AS enterprise_address, ST_X(v.geom) AS lng, ST_Y(v.geom) AS lat,
       pv.route_seq, pv.start_min,
       coalesce((SELECT json_agg(json_build_object('code', it.code, 'name', it.name) ORDER BY it.code)
                 FROM inspection_items it WHERE it.code = ANY (v.items)), '[]'::json) AS items,
       r.problem_found, r.follow_up, r.items_checked, r.at AS result_at
FROM visits v
JOIN enterprises e ON e.id = v.enterprise_id
LEFT JOIN LATERAL (SELECT p.route_seq, p.start_min FROM plan_visits p WHERE p.visit_id = v.id
                   ORDER BY p.id DESC LIMIT 1) pv ON true
LEFT JOIN visit_results r ON r.visit_id = v.id
WHERE v.team_id = %(team_id)s AND v.county_code = %(county_code)s AND v.visit_date = %(day)s
  AND v.status IN ('planned', 'done')
ORDER BY pv.route_seq NULLS LAST, pv.start_min NULLS LAST, v.id
LIMIT 100
