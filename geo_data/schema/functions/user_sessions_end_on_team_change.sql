-- Moving an inspector to another team ends their sessions, as a role change does.
CREATE OR REPLACE FUNCTION user_sessions_end_on_team_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_sessions SET ended_at = now(), end_reason = 'team changed'
    WHERE user_id = NEW.id AND ended_at IS NULL;
    RETURN NULL;
END $$;
