-- The live (not revoked) token with this hash; marks it used (at most once a minute, to spare writes).
WITH t AS (
    SELECT id, prefix, kind, source, county_code, scopes FROM api_tokens
    WHERE token_hash = %(token_hash)s AND revoked_at IS NULL
), touched AS (
    UPDATE api_tokens a SET last_used_at = now()
    FROM t WHERE a.id = t.id AND (a.last_used_at IS NULL OR a.last_used_at < now() - interval '1 minute')
)
SELECT * FROM t
