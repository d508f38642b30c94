-- Attempts on a code in the last ten minutes (rate limit).
SELECT count(*) AS n FROM visit_code_attempts
WHERE code = %(code)s AND at > now() - interval '10 minutes';
