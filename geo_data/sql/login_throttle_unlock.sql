-- Forget a name's failures from every address (the address-wide counts stay: they are not the name's).
DELETE FROM login_throttle WHERE username = %(username)s;
