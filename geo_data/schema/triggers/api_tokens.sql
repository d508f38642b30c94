-- Triggers of api_tokens.
CREATE OR REPLACE TRIGGER user_sessions_end_on_token_revoke
    AFTER UPDATE OF revoked_at ON api_tokens
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION user_sessions_end_on_token_revoke();
