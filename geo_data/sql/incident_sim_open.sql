-- Open incidents of a county without an active dispatch, a random few of the oldest 200 (for the simulator's
-- dispatcher: one it cannot serve — no free squad — does not block the queue).
SELECT id, remote_closable FROM (
    SELECT i.id, t.remote_closable
    FROM incidents i JOIN alert_types t ON t.code = i.type_code
    WHERE i.county_code = %(county_code)s AND i.status = 'open'
    ORDER BY i.created_at
    LIMIT 200
) oldest
ORDER BY random()
LIMIT %(n)s
