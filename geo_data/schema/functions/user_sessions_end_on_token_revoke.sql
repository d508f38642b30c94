-- Revoking a display token ends the wall screens it logged in.
CREATE OR REPLACE FUNCTION user_sessions_end_on_token_revoke() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_sessions SET ended_at = now(), end_reason = 'token revoked'
    WHERE display_token_id = NEW.id AND ended_at IS NULL;
    RETURN NULL;
END $$;
