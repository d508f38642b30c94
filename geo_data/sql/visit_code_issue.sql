-- Issue one code: a planned visit row and its code, bound to enterprise, team, inspectors and items.
-- Inspectors: those drawn (双随机) for the visit's tasks, else the active members of the team (or joint crew).
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
           coalesce(
               (SELECT array_agg(DISTINCT di.inspector_id)
                  FROM plan_visit_tasks pt
                  JOIN draw_targets dt ON dt.task_id = pt.task_id
                  JOIN draw_inspectors di ON di.draw_id = dt.draw_id AND di.enterprise_id = dt.enterprise_id
                 WHERE pt.plan_visit_id = %(plan_visit_id)s AND di.inspector_id IS NOT NULL),
               (SELECT array_agg(i.id ORDER BY i.id) FROM inspectors i
                 WHERE i.active AND i.team_id IN (
                       SELECT unnest(array_append(pv.crew_team_ids, v.team_id)) FROM plan_visits pv
                        WHERE pv.id = %(plan_visit_id)s)),
               '{}'),
           v.items
    FROM v
)
UPDATE plan_visits SET code = %(code)s, visit_id = (SELECT id FROM v) WHERE id = %(plan_visit_id)s;
