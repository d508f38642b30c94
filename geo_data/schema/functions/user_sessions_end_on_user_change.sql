-- Deactivation, a new password and a change of role, county or township end the user's sessions in the same
-- transaction, whichever path made the change (admin page, CLI, SQL).
CREATE OR REPLACE FUNCTION user_sessions_end_on_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_sessions SET ended_at = now(),
           end_reason = CASE WHEN NOT NEW.active THEN 'deactivated'
                             WHEN NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN 'password changed'
                             ELSE 'role changed' END
    WHERE user_id = NEW.id AND ended_at IS NULL;
    RETURN NULL;
END $$;
