-- The newest audit rows, optionally filtered by action and by a caller's county/township scope.
SELECT seq, at, actor, actor_kind, action, object_type, object_id, county_code, township_code, detail, remote_addr
FROM audit_log
WHERE (%(action)s::text IS NULL OR action = %(action)s)
  AND (%(county_code)s::text IS NULL OR county_code = %(county_code)s)
  AND (%(township_code)s::text IS NULL OR township_code = %(township_code)s)
ORDER BY seq DESC
LIMIT %(limit)s
