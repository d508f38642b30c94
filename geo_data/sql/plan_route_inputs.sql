-- What routing needs for the plan's on-site visits: location, item minutes, departments, busy windows.
SELECT pv.id, ST_X(e.geom) AS lng, ST_Y(e.geom) AS lat, pv.departments, pv.earliest, pv.latest,
       (SELECT coalesce(sum(i.service_minutes), 0) FROM inspection_items i WHERE i.code = ANY (pv.items))
           AS item_minutes,
       coalesce(ind.busy_windows, '[]'::jsonb) AS busy_windows
FROM plan_visits pv
JOIN enterprises e ON e.id = pv.enterprise_id
LEFT JOIN industries ind ON ind.code = e.industry_code
WHERE pv.plan_id = %(plan_id)s AND pv.county_code = %(county_code)s AND pv.status = 'proposed'
ORDER BY pv.id;
