-- user_sessions_end_on_team_change: first written in migration 262.
-- Moving an inspector to another team ends their sessions like a role change does (user_sessions: migration
-- 510, which runs later on a fresh database; the body is resolved when the trigger fires).
CREATE OR REPLACE FUNCTION user_sessions_end_on_team_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_sessions SET ended_at = now(), end_reason = 'team changed'
    WHERE user_id = NEW.id AND ended_at IS NULL;
    RETURN NULL;
END $$;
