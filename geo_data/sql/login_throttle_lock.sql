-- Lock both counters of an attempt; how long each still blocks (seconds, 0 if not).
SELECT username, greatest(0, extract(epoch FROM blocked_until - now())) AS wait_s
FROM login_throttle
WHERE remote_addr = %(remote_addr)s AND username IN (%(username)s, %(address_wide)s)
ORDER BY username
FOR UPDATE;
