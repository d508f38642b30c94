-- Unknown codes asked for by one client address in the last ten minutes.
SELECT count(*) AS n FROM visit_code_misses
WHERE remote_addr = %(remote_addr)s AND at > now() - interval '10 minutes'
