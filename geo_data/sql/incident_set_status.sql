-- Move an incident to a new status, stamping on-site (at the given time, e.g. a field step's own) / closing fields.
UPDATE incidents
SET status = %(status)s,
    on_site_at = CASE WHEN %(on_site)s AND on_site_at IS NULL THEN coalesce(%(at)s::timestamptz, now())
                      ELSE on_site_at END,
    closed_at = CASE WHEN %(status)s IN ('closed', 'remote_closed') THEN now() ELSE closed_at END,
    closed_by = CASE WHEN %(status)s IN ('closed', 'remote_closed') THEN %(actor)s ELSE closed_by END,
    close_reason = coalesce(%(reason)s, close_reason),
    close_evidence = coalesce(%(evidence)s, close_evidence)
WHERE id = %(id)s
RETURNING id, status, township_code, county_code
