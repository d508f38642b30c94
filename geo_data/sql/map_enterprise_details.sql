-- One enterprise in scope with its industry and its last visits (JSON array, newest first).
SELECT e.id, e.name, e.uscc, e.address, e.risk, e.credit, e.township_code, tw.name AS township_name,
       coalesce(i.name, e.industry_code) AS industry, coalesce(i.name_en, e.industry_code) AS industry_en,
       coalesce((SELECT json_agg(json_build_object('date', v.visit_date, 'departments', v.departments,
                                                    'result', v.result, 'code_scanned', v.code_scanned)
                                 ORDER BY v.visit_date DESC)
                 FROM (SELECT * FROM visits v WHERE v.enterprise_id = e.id AND v.status = 'done'
                       ORDER BY v.visit_date DESC LIMIT %(visits)s) v), '[]'::json) AS last_visits
FROM enterprises e
LEFT JOIN industries i ON i.code = e.industry_code
LEFT JOIN townships tw ON tw.code = e.township_code
WHERE e.id = %(id)s AND e.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s);
