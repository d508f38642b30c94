-- An admin ends sessions of users of their county: one (session_id) or all of a user's (user_id).
UPDATE user_sessions s SET ended_at = now(), end_reason = %(reason)s
FROM users u
WHERE u.id = s.user_id AND u.county_code = %(county_code)s AND s.ended_at IS NULL
  AND (%(session_id)s::bigint IS NULL OR s.id = %(session_id)s)
  AND (%(user_id)s::bigint IS NULL OR s.user_id = %(user_id)s)
RETURNING s.id, s.user_id, u.username;
