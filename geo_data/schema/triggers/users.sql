-- Triggers of users.
CREATE OR REPLACE TRIGGER user_sessions_end_on_team_change
    AFTER UPDATE OF team_id ON users
    FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id)
    EXECUTE FUNCTION user_sessions_end_on_team_change();
CREATE OR REPLACE TRIGGER user_sessions_end_on_user_change
    AFTER UPDATE OF active, password_hash, role, county_code, township_code ON users
    FOR EACH ROW WHEN (OLD.active AND NOT NEW.active
                       OR OLD.password_hash IS DISTINCT FROM NEW.password_hash
                       OR OLD.role IS DISTINCT FROM NEW.role
                       OR OLD.county_code IS DISTINCT FROM NEW.county_code
                       OR OLD.township_code IS DISTINCT FROM NEW.township_code)
    EXECUTE FUNCTION user_sessions_end_on_user_change();
