-- Attempts on a code from one client address in the last ten minutes (rate limit per code and address).
SELECT count(*) AS n FROM visit_code_attempts
WHERE code = %(code)s AND remote_addr = %(remote_addr)s AND at > now() - interval '10 minutes';
