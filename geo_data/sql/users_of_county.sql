-- Users of one county for the admin page (no password hashes or secrets); "locked": a login delay runs for
-- the name from some address; "two_factor": a TOTP key is enrolled; inspectors with their team.
SELECT u.id, u.username, u.display_name, u.role, r.name AS role_name, u.township_code, t.name AS township_name,
       u.team_id, tm.name AS team_name, u.active,
       EXISTS (SELECT 1 FROM login_throttle l WHERE l.username = lower(u.username) AND l.blocked_until > now())
           AS locked,
       (SELECT coalesce(max(l.failures), 0) FROM login_throttle l WHERE l.username = lower(u.username))
           AS failed_logins,
       u.totp_secret IS NOT NULL AS two_factor, u.must_change_password,
       u.last_login_at, u.created_at
FROM users u
JOIN roles r ON r.code = u.role
LEFT JOIN townships t ON t.code = u.township_code
LEFT JOIN teams tm ON tm.id = u.team_id
WHERE u.county_code = %(county_code)s
ORDER BY u.role, u.username;
