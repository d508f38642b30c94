-- Triggers of teams.
-- Team rows change often (positions); only changes a map shows are announced.
CREATE OR REPLACE TRIGGER teams_notify AFTER INSERT OR UPDATE OF status, position, active ON teams
    FOR EACH ROW EXECUTE FUNCTION gridcommand_notify_row('team');
