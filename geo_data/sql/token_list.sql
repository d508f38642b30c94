-- Every API token (never the token itself), newest first.
SELECT id, prefix, kind, source, county_code, scopes, created_by, created_at, revoked_at, last_used_at
FROM api_tokens
ORDER BY id DESC
