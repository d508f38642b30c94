-- The user acted in this session (the idle timeout starts again).
UPDATE user_sessions SET last_seen_at = now() WHERE id = %(session_id)s AND ended_at IS NULL;
