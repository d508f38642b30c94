-- Triggers of townships.
CREATE OR REPLACE TRIGGER townships_intake_guard AFTER DELETE OR UPDATE OF code ON townships
    FOR EACH ROW EXECUTE FUNCTION intake_referenced_guard();
