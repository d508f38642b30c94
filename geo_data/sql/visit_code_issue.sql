-- Issue one code: a planned visit row and its code, bound to enterprise, team, inspectors and items.
-- Inspectors: the visit's own, chosen by enforcement.visit_inspectors (drawn ones, else one qualified member of
-- the team or crew per department, at least two).
WITH v AS (
    INSERT INTO visits (county_code, township_code, enterprise_id, team_id, visit_date, lead_department,
                        departments, items, status, reason, planned, from_draw, task_count, code, plan_id,
                        geom, h3_r7, h3_r8, h3_r9)
    SELECT pv.county_code, pv.township_code, pv.enterprise_id, pv.team_id, pv.visit_date, pv.lead_department,
           pv.departments, pv.items, 'planned', %(reason)s, true, 'random' = ANY (pv.reasons),
           greatest(1, (SELECT count(*) FROM plan_visit_tasks pt WHERE pt.plan_visit_id = pv.id)),
           %(code)s, pv.plan_id, e.geom, e.h3_r7, e.h3_r8, e.h3_r9
    FROM plan_visits pv JOIN enterprises e ON e.id = pv.enterprise_id
    WHERE pv.id = %(plan_visit_id)s
    RETURNING id, county_code, enterprise_id, team_id, visit_date, items
), c AS (
    INSERT INTO visit_codes (code, county_code, plan_visit_id, visit_id, enterprise_id, team_id, visit_date,
                             inspector_ids, items)
    SELECT %(code)s, v.county_code, %(plan_visit_id)s, v.id, v.enterprise_id, v.team_id, v.visit_date,
           %(inspector_ids)s::bigint[],
           v.items
    FROM v
)
UPDATE plan_visits SET code = %(code)s, visit_id = (SELECT id FROM v) WHERE id = %(plan_visit_id)s;
