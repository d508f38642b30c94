-- The step a session still owes before it is a full login (NULL: none left).
UPDATE user_sessions SET pending = %(pending)s WHERE id = %(session_id)s AND ended_at IS NULL;
