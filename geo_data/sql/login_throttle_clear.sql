-- A successful login: forget this name's failures from this address.
DELETE FROM login_throttle WHERE username = %(username)s AND remote_addr = %(remote_addr)s;
