-- Revoke tokens by id or prefix (only live ones); returns what was revoked.
UPDATE api_tokens SET revoked_at = now()
WHERE revoked_at IS NULL
  AND (id::text = %(ref)s OR prefix = %(ref)s)
RETURNING id, prefix, source, county_code
