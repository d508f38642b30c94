-- Live sessions of a county's users for the admin page (newest first), optionally one user's.
SELECT s.id, u.id AS user_id, u.username, s.kind, s.pending, s.created_at, s.last_seen_at, s.expires_at,
       s.remote_addr, left(s.user_agent, 80) AS user_agent
FROM user_sessions s
JOIN users u ON u.id = s.user_id
WHERE u.county_code = %(county_code)s AND s.ended_at IS NULL AND s.expires_at > now()
  AND (s.kind = 'display' OR s.last_seen_at > now() - %(idle)s::interval)
  AND (%(user_id)s::bigint IS NULL OR s.user_id = %(user_id)s)
ORDER BY s.created_at DESC
LIMIT 500;
