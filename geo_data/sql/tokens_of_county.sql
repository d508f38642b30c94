-- API tokens of one county (never the token or its hash).
SELECT id, kind, source, prefix, array_to_string(scopes, ' ') AS scopes, created_by, created_at, revoked_at,
       last_used_at
FROM api_tokens
WHERE county_code = %(county_code)s
ORDER BY revoked_at IS NOT NULL, created_at DESC
