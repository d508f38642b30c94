-- A new draft plan for a period.
INSERT INTO visit_plans (county_code, period_start, period_end, created_by)
VALUES (%(county_code)s, %(period_start)s, %(period_end)s, %(actor)s)
RETURNING id;
