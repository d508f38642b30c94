-- End one session by its cookie id's hash.
UPDATE user_sessions SET ended_at = now(), end_reason = %(reason)s
WHERE sid_hash = %(sid_hash)s AND ended_at IS NULL
RETURNING id, user_id;
