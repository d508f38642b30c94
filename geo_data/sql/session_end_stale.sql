-- Mark a session that is past its lifetime or idle timeout as ended (so the admin list tells why).
UPDATE user_sessions
SET ended_at = now(), end_reason = CASE WHEN expires_at <= now() THEN 'expired' ELSE 'idle' END
WHERE sid_hash = %(sid_hash)s AND ended_at IS NULL
  AND (expires_at <= now() OR (kind <> 'display' AND last_seen_at <= now() - %(idle)s::interval));
