-- The live session a cookie names, with its (active) user: none once ended, past its absolute lifetime, or
-- unused longer than the idle timeout (display sessions have no idle timeout: they end with their token).
SELECT s.id AS session_id, s.kind, s.pending, s.display_token_id,
       s.last_seen_at < now() - interval '30 seconds' AS seen_long_ago,
       u.id, u.username, u.display_name, u.role, u.county_code, u.township_code, u.team_id
FROM user_sessions s
JOIN users u ON u.id = s.user_id
WHERE s.sid_hash = %(sid_hash)s AND s.ended_at IS NULL AND s.expires_at > now() AND u.active
  AND (s.kind = 'display' OR s.last_seen_at > now() - %(idle)s::interval);
