-- Forget an earlier routing of the plan (run after visit_codes_clear_plan).
WITH cleared AS (
    UPDATE plan_visits SET team_id = NULL, crew_team_ids = '{}', visit_date = NULL, route_seq = NULL, start_min = NULL,
                           unassigned_reason = '', code = NULL, visit_id = NULL
    WHERE plan_id = %(plan_id)s AND county_code = %(county_code)s
    RETURNING id
)
DELETE FROM plan_team_days WHERE plan_id = %(plan_id)s;
