-- Triggers of incidents.
CREATE OR REPLACE TRIGGER incidents_notify_ins AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridcommand_notify_rows('incident');
CREATE OR REPLACE TRIGGER incidents_notify_upd AFTER UPDATE ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridcommand_notify_rows('incident');
CREATE OR REPLACE TRIGGER incidents_references_ins AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_intake_references();
CREATE OR REPLACE TRIGGER incidents_references_upd AFTER UPDATE ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_intake_references();
CREATE OR REPLACE TRIGGER incidents_references_follow AFTER DELETE OR UPDATE OF id ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_references_follow();
CREATE OR REPLACE TRIGGER incidents_touch_ins AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE OR REPLACE TRIGGER incidents_touch_upd AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE OR REPLACE TRIGGER incidents_touch_del AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
