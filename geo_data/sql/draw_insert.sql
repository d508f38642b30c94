-- Record a draw with everything needed to redo it.
INSERT INTO draws (county_code, department_code, items, period_start, period_end, seed, params, register_size,
                   register_digest, target_count, created_by)
VALUES (%(county_code)s, %(department)s, %(items)s, %(period_start)s, %(period_end)s, %(seed)s, %(params)s,
        %(register_size)s, %(register_digest)s, %(target_count)s, %(actor)s)
RETURNING id, created_at;
