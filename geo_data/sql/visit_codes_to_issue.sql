-- Routed visits of a plan that have no code yet, with what choosing their inspectors needs: the inspectors
-- drawn (双随机) for their tasks, and the active members of their team and joint crew.
SELECT pv.id, pv.visit_date, pv.reasons, pv.lead_department, pv.departments, pv.team_id,
       coalesce((SELECT array_agg(DISTINCT di.inspector_id)
                   FROM plan_visit_tasks pt
                   JOIN draw_targets dt ON dt.task_id = pt.task_id
                   JOIN draw_inspectors di ON di.draw_id = dt.draw_id AND di.enterprise_id = dt.enterprise_id
                  WHERE pt.plan_visit_id = pv.id AND di.inspector_id IS NOT NULL), '{}') AS drawn,
       (SELECT coalesce(json_agg(json_build_object('id', i.id, 'team_id', i.team_id, 'department',
                                                   i.department_code, 'qualifications', i.qualifications)
                                 ORDER BY i.id), '[]'::json)
          FROM inspectors i
         WHERE i.active AND i.team_id = ANY (array_append(pv.crew_team_ids, pv.team_id))) AS members
FROM plan_visits pv
WHERE pv.plan_id = %(plan_id)s AND pv.county_code = %(county_code)s
  AND pv.visit_date IS NOT NULL AND pv.code IS NULL
ORDER BY pv.id;
