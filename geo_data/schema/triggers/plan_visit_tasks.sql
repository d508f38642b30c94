-- Triggers of plan_visit_tasks: the plan's revision (plan_revision_bump).
CREATE OR REPLACE TRIGGER plan_visit_tasks_revision_ins AFTER INSERT ON plan_visit_tasks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION plan_revision_bump();
CREATE OR REPLACE TRIGGER plan_visit_tasks_revision_upd AFTER UPDATE ON plan_visit_tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION plan_revision_bump();
CREATE OR REPLACE TRIGGER plan_visit_tasks_revision_del AFTER DELETE ON plan_visit_tasks REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION plan_revision_bump();
