-- Audit rows of the caller's county (and township) for the admin page, newest first; optionally by actor (a
-- case-insensitive part of the name, LIKE wildcards escaped by the caller), action (a prefix: 'user.' or
-- 'dispatch.assign') and a time range [since, until).
SELECT seq, at, actor, actor_kind, action, object_type, object_id, detail, remote_addr
FROM audit_log
WHERE county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR township_code = %(township_code)s)
  AND (%(actor)s::text IS NULL OR actor ILIKE '%%' || %(actor)s || '%%')
  AND (%(action)s::text IS NULL OR starts_with(action, %(action)s))
  AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
  AND (%(until)s::timestamptz IS NULL OR at < %(until)s)
ORDER BY seq DESC
LIMIT %(limit)s
