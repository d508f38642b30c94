-- Store a new API token (only its SHA-256 and a recognisable prefix).
INSERT INTO api_tokens (token_hash, prefix, kind, source, county_code, scopes, created_by)
VALUES (%(token_hash)s, %(prefix)s, 'source', %(source)s, %(county_code)s, %(scopes)s::text[], %(created_by)s)
RETURNING id, prefix, source, county_code, scopes, created_at
