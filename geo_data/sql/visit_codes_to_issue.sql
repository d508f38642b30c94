-- Routed visits of a plan that have no code yet.
SELECT pv.id, pv.visit_date, pv.reasons
FROM plan_visits pv
WHERE pv.plan_id = %(plan_id)s AND pv.county_code = %(county_code)s
  AND pv.visit_date IS NOT NULL AND pv.code IS NULL
ORDER BY pv.id;
