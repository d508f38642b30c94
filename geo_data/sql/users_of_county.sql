-- Users of one county for the admin page (no password hashes).
SELECT u.id, u.username, u.display_name, u.role, r.name AS role_name, u.township_code, t.name AS township_name,
       u.active, (u.locked_until > now()) AS locked, u.failed_logins, u.last_login_at, u.created_at
FROM users u
JOIN roles r ON r.code = u.role
LEFT JOIN townships t ON t.code = u.township_code
WHERE u.county_code = %(county_code)s
ORDER BY u.role, u.username
