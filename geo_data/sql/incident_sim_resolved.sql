-- Resolved incidents of a county waiting to be closed (for the simulator).
SELECT id FROM incidents WHERE county_code = %(county_code)s AND status = 'resolved' ORDER BY id LIMIT %(n)s
