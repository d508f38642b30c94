-- Count a failure: the (name, address) count restarts after a quiet day, the address's after its window.
UPDATE login_throttle
SET failures = CASE
        WHEN username = %(address_wide)s AND first_failure_at < now() - %(window)s::interval THEN 1
        WHEN username <> %(address_wide)s AND last_failure_at < now() - %(forget)s::interval THEN 1
        ELSE failures + 1 END,
    first_failure_at = CASE
        WHEN failures = 0
          OR (username = %(address_wide)s AND first_failure_at < now() - %(window)s::interval)
          OR (username <> %(address_wide)s AND last_failure_at < now() - %(forget)s::interval) THEN now()
        ELSE first_failure_at END,
    last_failure_at = now()
WHERE remote_addr = %(remote_addr)s AND username IN (%(username)s, %(address_wide)s)
RETURNING username, failures;
