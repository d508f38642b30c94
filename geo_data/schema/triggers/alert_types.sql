-- Triggers of alert_types.
CREATE OR REPLACE TRIGGER alert_types_intake_guard AFTER DELETE OR UPDATE OF code ON alert_types
    FOR EACH ROW EXECUTE FUNCTION intake_referenced_guard();
