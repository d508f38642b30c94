-- The two counters a login attempt touches exist (so they can be locked): (name, address) and the address's.
INSERT INTO login_throttle (username, remote_addr, failures)
VALUES (%(username)s, %(remote_addr)s, 0), (%(address_wide)s, %(remote_addr)s, 0)
ON CONFLICT (username, remote_addr) DO NOTHING;
