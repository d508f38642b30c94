-- Triggers of counties.
CREATE OR REPLACE TRIGGER counties_intake_guard AFTER DELETE OR UPDATE OF code ON counties
    FOR EACH ROW EXECUTE FUNCTION intake_referenced_guard();
