-- Triggers of dispatch_events.
CREATE OR REPLACE TRIGGER dispatch_events_references_ins AFTER INSERT ON dispatch_events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dispatch_events_check_references();
CREATE OR REPLACE TRIGGER dispatch_events_references_upd AFTER UPDATE ON dispatch_events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dispatch_events_check_references();
