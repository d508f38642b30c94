-- A new login session; the cookie carries the id whose SHA-256 is sid_hash.
INSERT INTO user_sessions (sid_hash, user_id, kind, display_token_id, pending, expires_at, remote_addr, user_agent)
VALUES (%(sid_hash)s, %(user_id)s, %(kind)s, %(display_token_id)s, %(pending)s, now() + %(lifetime)s::interval,
        %(remote_addr)s, %(user_agent)s)
RETURNING id;
