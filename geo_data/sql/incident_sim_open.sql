-- Open incidents of a county without an active dispatch, oldest first (for the simulator's dispatcher).
SELECT i.id, t.remote_closable
FROM incidents i JOIN alert_types t ON t.code = i.type_code
WHERE i.county_code = %(county_code)s AND i.status = 'open'
ORDER BY i.created_at
LIMIT %(n)s
