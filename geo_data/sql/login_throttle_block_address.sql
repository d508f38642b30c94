-- Block an address (every name) until its counting window ends; no row if it was already blocked.
UPDATE login_throttle SET blocked_until = first_failure_at + %(window)s::interval
WHERE username = %(address_wide)s AND remote_addr = %(remote_addr)s
  AND (blocked_until IS NULL OR blocked_until <= now());
