-- Triggers of plan_visits: the plan's revision (plan_revision_bump).
CREATE OR REPLACE TRIGGER plan_visits_revision_ins AFTER INSERT ON plan_visits REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION plan_revision_bump();
CREATE OR REPLACE TRIGGER plan_visits_revision_upd AFTER UPDATE ON plan_visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION plan_revision_bump();
CREATE OR REPLACE TRIGGER plan_visits_revision_del AFTER DELETE ON plan_visits REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION plan_revision_bump();
