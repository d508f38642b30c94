-- Triggers of enterprises.
CREATE OR REPLACE TRIGGER enterprise_counts_ins AFTER INSERT ON enterprises REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_counts_after_change();
CREATE OR REPLACE TRIGGER enterprise_counts_upd AFTER UPDATE ON enterprises REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enterprise_counts_after_change();
CREATE OR REPLACE TRIGGER enterprise_counts_del AFTER DELETE ON enterprises REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_counts_after_change();
CREATE OR REPLACE TRIGGER enterprises_touch_upd AFTER UPDATE ON enterprises REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_enterprise();
CREATE OR REPLACE TRIGGER enterprises_touch_del AFTER DELETE ON enterprises REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_touch_after_enterprise();
