-- Block one (name, address) for a while.
UPDATE login_throttle SET blocked_until = now() + %(until)s::interval
WHERE username = %(username)s AND remote_addr = %(remote_addr)s;
