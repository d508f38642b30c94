-- Move a dispatch to a new status (at the given time, e.g. a field step's own, or now).
UPDATE dispatches SET status = %(status)s, updated_at = coalesce(%(at)s::timestamptz, now()) WHERE id = %(id)s
RETURNING id, team_id, status
