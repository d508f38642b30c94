-- Record a draw with everything needed to redo it; a preview's token is recorded once (no row: already there).
INSERT INTO draws (county_code, department_code, items, period_start, period_end, seed, params, register_size,
                   register_digest, target_count, created_by, preview_token)
VALUES (%(county_code)s, %(department)s, %(items)s, %(period_start)s, %(period_end)s, %(seed)s, %(params)s,
        %(register_size)s, %(register_digest)s, %(target_count)s, %(actor)s, %(preview_token)s)
ON CONFLICT (preview_token, county_code) WHERE preview_token IS NOT NULL DO NOTHING
RETURNING id, created_at;
