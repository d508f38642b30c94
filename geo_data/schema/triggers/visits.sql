-- Triggers of visits.
CREATE OR REPLACE TRIGGER visits_repeat_ins AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION visits_repeat_after_change();
CREATE OR REPLACE TRIGGER visits_repeat_upd AFTER UPDATE ON visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION visits_repeat_after_change();
CREATE OR REPLACE TRIGGER visits_repeat_del AFTER DELETE ON visits REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION visits_repeat_after_change();
CREATE OR REPLACE TRIGGER visits_touch_ins AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE OR REPLACE TRIGGER visits_touch_upd AFTER UPDATE ON visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
CREATE OR REPLACE TRIGGER visits_touch_del AFTER DELETE ON visits REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_change();
