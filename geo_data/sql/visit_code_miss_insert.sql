-- An unknown code asked for by a client address.
INSERT INTO visit_code_misses (remote_addr) VALUES (%(remote_addr)s)
