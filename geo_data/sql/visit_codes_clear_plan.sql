-- Drop the not-yet-scanned codes of a plan and their planned visits (before the plan is routed again).
WITH codes AS (
    DELETE FROM visit_codes c
    USING plan_visits pv
    WHERE c.plan_visit_id = pv.id AND pv.plan_id = %(plan_id)s AND c.county_code = %(county_code)s
      AND c.scanned_at IS NULL
    RETURNING c.visit_id
)
DELETE FROM visits v WHERE v.id IN (SELECT visit_id FROM codes) AND v.status = 'planned';
