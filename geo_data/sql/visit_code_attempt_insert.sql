-- Record a scan or rating attempt, accepted or refused.
INSERT INTO visit_code_attempts (code, kind, accepted, reason, remote_addr)
VALUES (%(code)s, %(kind)s, %(accepted)s, %(reason)s, %(remote_addr)s);
