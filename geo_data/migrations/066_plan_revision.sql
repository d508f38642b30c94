-- A plan's revision: bumped by every statement that changes its visits or their tasks (triggers of plan_visits and
-- plan_visit_tasks), so a screen may keep the plan's rows it rendered and know, with one indexed read, whether they
-- still stand (callbacks/planner_plan.py).
ALTER TABLE visit_plans ADD COLUMN revision bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN visit_plans.revision IS 'bumped by every statement on the plan''s visits or their tasks';
